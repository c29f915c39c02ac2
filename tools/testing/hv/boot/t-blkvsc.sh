# SPDX-License-Identifier: GPL-2.0
#
# hv_blkvsc end to end on image files offered as IDE disks: places and
# names, capacity, identifiers, two partitions with ext4 that survive a
# reboot, raw writes the host finds in the image, fio with verification,
# fstrim punching the image, a read-only disk; then the same image through
# the SCSI controller (hv_storvsc) reads back the same bytes.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

# The instance GUIDs of the four IDE places (reference §7.8).
ide00=00000000-0000-8899-0000-000000000000
ide01=00000000-0001-8899-0000-000000000000
ide10=00000001-0000-8899-0000-000000000000
ide11=00000001-0001-8899-0000-000000000000
scsi=66666666-2222-4333-8444-555555555500
truncate -s 64M "$hv_scratch/fs.img"
truncate -s 16M "$hv_scratch/raw.img"
truncate -s 96M "$hv_scratch/fio.img"
seq 1 2000000 | head -c 8M > "$hv_scratch/ro.img"
ro_sum=$(sha256sum < "$hv_scratch/ro.img")
disks="--ide-disk=$hv_scratch/fs.img --ide-disk=$hv_scratch/ro.img,ro
	--ide-disk=$hv_scratch/raw.img,ctrl=1 --ide-disk=$hv_scratch/fio.img"

hv_vars ide00 ide01 ide10 ide11 > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
four_disks() { hd_present $ide00 && hd_present $ide01 && hd_present $ide10 && hd_present $ide11; }
wait_until 30 four_disks
fs=$(hd_of $ide00); ro=$(hd_of $ide01); raw=$(hd_of $ide10); fio=$(hd_of $ide11)
check "four IDE disks by place: hda hdb hdc hdd ($fs $ro $raw $fio)" [ "$fs $ro $raw $fio" = "/dev/hda /dev/hdb /dev/hdc /dev/hdd" ]
check "hv_blkvsc drives them" [ "$(basename "$(readlink "$(dev_by_instance $ide00)/driver")")" = hv_blkvsc ]
for pair in $fs:64 $raw:16 $ro:8 $fio:96; do
	b=${pair%%:*}
	check "$b has the image's exact capacity" [ $(cat /sys/block/${b#/dev/}/size) -eq $((${pair#*:} * 2048)) ]
done
check "hdc is at IDE 1/0" [ "$(cat /sys/block/hdc/ide_location)" = 1:0 ]
check "serial attribute from VPD 0x80" grep -q . /sys/block/hda/serial
check "wwid attribute from VPD 0x83 (naa.)" grep -q '^naa\.[0-9a-f]\{16\}$' /sys/block/hda/wwid
check "serials differ between disks" [ "$(cat /sys/block/hda/serial)" != "$(cat /sys/block/hdb/serial)" ]
check "one hardware queue" [ $(ls -d /sys/block/hda/mq/* | wc -l) = 1 ]
check "volatile write cache reported" [ "$(cat /sys/block/hda/queue/write_cache)" = "write back" ]
check "discard on 4 KiB granules" [ "$(cat /sys/block/hda/queue/discard_granularity)" = 4096 ]
check "no segment crosses a page (virt boundary)" [ "$(cat /sys/block/hda/queue/virt_boundary_mask)" = 4095 ]

printf 'label: dos\n,32M,L\n,,L\n' | sfdisk -q $fs
wait_until 10 test -b ${fs}2
check "sfdisk: two partitions scanned" [ -b ${fs}1 -a -b ${fs}2 ]
modprobe ext4
for p in 1 2; do
	mkdir -p /mnt/p$p
	mkfs.ext4 -q ${fs}$p && mount ${fs}$p /mnt/p$p
	dd if=/dev/urandom of=/mnt/p$p/f1 bs=1k count=1000 2>/dev/null
	dd if=/dev/urandom of=/mnt/p$p/f2 bs=1k count=3000 2>/dev/null
	(cd /mnt/p$p && sha256sum f1 f2 > sums)
done
check "mkfs.ext4 and mount on both partitions" [ $(grep -c " /mnt/p[12] ext4" /proc/mounts) = 2 ]
sync
dd if=/dev/urandom of=/mnt/p2/big bs=1M count=20 2>/dev/null
sync
sync_host trim-before 3
rm /mnt/p2/big
sync
check "fstrim on the mounted file system" fstrim /mnt/p2
sync_host trim-after 3
umount /mnt/p1 /mnt/p2
check "unmount" sh -c "! grep -q ' /mnt/p' /proc/mounts"

raw_patterns $raw
dd if=/dev/urandom of=$raw bs=1M seek=4 count=1 oflag=direct 2>/dev/null
check "write zeroes offered (WRITE SAME 16 in VPD 0xb0)" [ "$(cat /sys/block/${raw#/dev/}/queue/write_zeroes_max_bytes)" != 0 ]
check "blkdiscard -z zeroes a range" sh -c "/sbin/blkdiscard -f -z -o 4194304 -l 1048576 $raw && [ \$(dd if=$raw bs=1M skip=4 count=1 iflag=direct 2>/dev/null | tr -d '\\000' | wc -c) = 0 ]"

check "read-only disk is read-only" [ "$(cat /sys/block/${ro#/dev/}/ro)" = 1 ]
check "a write to the read-only disk fails" sh -c "[ -b $ro ] && ! dd if=/dev/zero of=$ro bs=4k count=1 oflag=direct 2>/dev/null"
check "the read-only disk reads" sh -c "dd if=$ro of=/dev/null bs=1M iflag=direct 2>/dev/null"

fio_verify $fio 96M
check "no completion was rejected" [ "$(cat /sys/block/hdd/bad_completions)" = 0 ]
GUEST

hv_vars hv_scratch > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_trim_check "$hv_scratch/fs.img"
HOST
# shellcheck disable=SC2086
hv_boot blkvsc --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 600 -- $disks > /dev/null
hv_report blkvsc

# The "reboot": a new guest on the same images. It leaves the sha256 of
# the whole IDE disk at 12 MiB of the raw disk, for the host. A lean run
# (the debug tier) skips it and the SCSI boot after it: they take the
# driver paths of the first boot again, and a boot costs most there.
lean=${HV_LEAN:-0}
[ "$lean" = 1 ] || {
hv_vars ide00 ide10 > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 hd_present $ide10
fs=$(hd_of $ide00)
modprobe ext4
for p in 1 2; do
	mkdir -p /mnt/p$p
	mount ${fs}$p /mnt/p$p
	check "ext4 on partition $p mounts again after the reboot" grep -q " /mnt/p$p ext4" /proc/mounts
	check "every checksum of partition $p matches after the reboot" sh -c "cd /mnt/p$p && sha256sum -c sums"
	umount /mnt/p$p
done
sha256sum < $fs | cut -c1-64 > /tmp/sum
dd if=/tmp/sum of=$(hd_of $ide10) bs=1M seek=12 oflag=direct conv=fsync 2>/dev/null
GUEST
# shellcheck disable=SC2086
hv_boot blkvsc-reboot --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--timeout 300 -- $disks > /dev/null
hv_report blkvsc-reboot

# The same image through the SCSI controller: the same bytes.
fs_sum=$(sha256sum < "$hv_scratch/fs.img" | cut -c1-64)
hv_vars scsi fs_sum > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $scsi 0
check "the IDE disk's image through hv_storvsc: the same sha256" [ "$(sha256sum < $(sd_of $scsi 0) | cut -c1-64)" = "$fs_sum" ]
GUEST
hv_boot blkvsc-as-scsi --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--timeout 300 -- --scsi="$scsi" --disk="$hv_scratch/fs.img,ro" > /dev/null
hv_report blkvsc-as-scsi
}

HV_CHECK_PREFIX="$KVER: blkvsc: host: "
hv_check_patterns "$hv_scratch/raw.img"
[ "$lean" = 1 ] ||
	check_eq "the sha256 hv_blkvsc read of the whole disk is the image's" \
		"$fs_sum" "$(dd if="$hv_scratch/raw.img" bs=1M skip=12 count=1 2>/dev/null | head -c 64)"
check_eq "the read-only image is unchanged (sha256)" "$ro_sum" \
	"$(sha256sum < "$hv_scratch/ro.img")"
