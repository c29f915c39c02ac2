# SPDX-License-Identifier: GPL-2.0
#
# hv_storvsc end to end on image files: capacity, ext4 that survives a
# reboot, raw writes the host finds in the image, fio with verification
# over several hardware queues, fstrim punching the image, a read-only
# disk, several LUNs and two controllers.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ctrl0=55555555-2222-4333-8444-555555555500
ctrl1=55555555-2222-4333-8444-555555555501
truncate -s 64M "$hv_scratch/fs.img"
# On tmpfs: hvhost reads and writes it without io_uring (blockio.copied).
truncate -s 16M "$hv_shm/raw.img"
truncate -s 96M "$hv_scratch/fio.img"
seq 1 2000000 | head -c 8M > "$hv_scratch/ro.img"
ro_sum=$(sha256sum < "$hv_scratch/ro.img")
disks="--scsi=$ctrl0 --scsi=$ctrl1 --disk=$hv_scratch/fs.img,lun=0
	--disk=$hv_shm/raw.img,lun=1 --disk=$hv_scratch/ro.img,ro,lun=2
	--disk=$hv_scratch/fio.img,ctrl=1"

hv_vars ctrl0 ctrl1 > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl0 2
wait_until 30 sd_present $ctrl1 0
fs=$(sd_of $ctrl0 0); raw=$(sd_of $ctrl0 1); ro=$(sd_of $ctrl0 2)
fio=$(sd_of $ctrl1 0)
check "four LUNs on two controllers appear ($fs $raw $ro $fio)" [ -b "$fs" -a -b "$raw" -a -b "$ro" -a -b "$fio" ]
for pair in $fs:64 $raw:16 $ro:8 $fio:96; do
	b=${pair%%:*}
	check "$b has the image's exact capacity" [ $(cat /sys/block/${b#/dev/}/size) -eq $((${pair#*:} * 2048)) ]
done
d=$(dev_by_instance $ctrl1)
ch=$(ls $d/channels | wc -l)
hq=$(ls -d /sys/block/${fio#/dev/}/mq/* | wc -l)
check "hardware queues ($hq) match channels ($ch), more than one" [ "$hq" = "$ch" -a "$ch" -gt 1 ]

modprobe ext4
mkfs.ext4 -q $fs && mount $fs /mnt
check "mkfs.ext4 and mount" grep -q " /mnt ext4" /proc/mounts
dd if=/dev/urandom of=/mnt/f1 bs=1k count=1000 2>/dev/null
dd if=/dev/urandom of=/mnt/f2 bs=1k count=5000 2>/dev/null
dd if=/dev/urandom of=/mnt/f3 bs=1k count=300 2>/dev/null
(cd /mnt && sha256sum f1 f2 f3 > sums)
sync
dd if=/dev/urandom of=/mnt/big bs=1M count=32 2>/dev/null
sync
sync_host trim-before 3
rm /mnt/big
sync
check "fstrim on the mounted file system" fstrim /mnt
sync_host trim-after 3
umount /mnt
check "unmount" sh -c "! grep -q ' /mnt ' /proc/mounts"

raw_patterns $raw

check "read-only disk is read-only" [ "$(cat /sys/block/${ro#/dev/}/ro)" = 1 ]
check "a write to the read-only disk fails" sh -c "! dd if=/dev/zero of=$ro bs=4k count=1 oflag=direct 2>/dev/null"

fio_verify $fio 96M
GUEST

hv_vars hv_scratch > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_trim_check "$hv_scratch/fs.img" || exit
copied=$(hv_ctl stats | sed -n 's/^blockio\.copied=//p')
check "the tmpfs image's I/O was copied without io_uring ($copied requests)" \
	[ "${copied:-0}" -gt 0 ]
HOST
# shellcheck disable=SC2086
hv_boot storvsc --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 600 -- $disks > /dev/null
hv_report storvsc

# The "reboot": a new guest on the same images (not in a lean run: it is
# the same driver path as the first boot, and a boot costs most there).
[ "$HV_LEAN" = 1 ] || {
hv_vars ctrl0 > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl0 0
modprobe ext4
mount $(sd_of $ctrl0 0) /mnt
check "ext4 mounts again after the reboot" grep -q " /mnt ext4" /proc/mounts
check "every checksum matches after the reboot" sh -c "cd /mnt && sha256sum -c sums"
umount /mnt
GUEST
# shellcheck disable=SC2086
hv_boot storvsc-reboot --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--timeout 300 -- $disks > /dev/null
hv_report storvsc-reboot
}

HV_CHECK_PREFIX="$KVER: storvsc: host: "
hv_check_patterns "$hv_shm/raw.img"
check_eq "the read-only image is unchanged (sha256)" "$ro_sum" \
	"$(sha256sum < "$hv_scratch/ro.img")"
