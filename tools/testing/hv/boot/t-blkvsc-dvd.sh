# SPDX-License-Identifier: GPL-2.0
#
# hv_blkvsc's DVD drive: an ISO made on the host mounts as iso9660 with
# every file's checksum matching; the drive is read-only with 2048-byte
# blocks; `dvd eject` makes opens fail with "No medium found", `dvd
# insert` of another ISO is seen (new capacity, new files), and so is a
# swap for a third with one in the drive; an empty drive cannot be
# opened, but with O_NONBLOCK; a rescind of the drive while it is polled
# and opened removes it; an open whose media check the host never
# answers fails after 10 s, the silent channel closed.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

dvd=00000001-0000-8899-0000-000000000000
empty=00000001-0001-8899-0000-000000000000
# c, for the swap, is larger: a capacity the guest can tell apart.
for n in a b c; do
	mkdir -p "$hv_scratch/$n"
	kib=300
	[ $n = c ] && kib=900
	head -c $((kib * 1024)) /dev/urandom > "$hv_scratch/$n/one-$n"
	seq 1 100000 > "$hv_scratch/$n/two-$n"
	(cd "$hv_scratch/$n" && sha256sum one-$n two-$n > sums)
	xorriso -as mkisofs -quiet -R -V "HV_$n" -o "$hv_scratch/$n.iso" \
		"$hv_scratch/$n" 2>/dev/null
done
a_sectors=$(($(stat -c %s "$hv_scratch/a.iso") / 512))
b_sectors=$(($(stat -c %s "$hv_scratch/b.iso") / 512))
c_sectors=$(($(stat -c %s "$hv_scratch/c.iso") / 512))
iso_sum=$(sha256sum < "$hv_scratch/a.iso")

hv_vars dvd empty a_sectors b_sectors c_sectors > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
two_drives() { hd_present $dvd && hd_present $empty; }
wait_until 30 two_drives
hd=$(hd_of $dvd); b=${hd#/dev/}
check "the DVD drive is hdc" [ "$hd" = /dev/hdc ]
check "it is read-only" [ "$(cat /sys/block/$b/ro)" = 1 ]
check "it is removable" [ "$(cat /sys/block/$b/removable)" = 1 ]
check "2048-byte blocks" [ "$(cat /sys/block/$b/queue/logical_block_size)" = 2048 ]
check "the ISO's capacity" [ "$(cat /sys/block/$b/size)" = $a_sectors ]
modprobe isofs
mount -t iso9660 $hd /mnt
check "mount -t iso9660" grep -q "^$hd /mnt iso9660" /proc/mounts
check "every file's checksum matches" sh -c "cd /mnt && sha256sum -c sums"
umount /mnt
check "a write fails" sh -c "[ -b $hd ] && ! dd if=/dev/zero of=$hd bs=2k count=1 oflag=direct 2>/dev/null"
sync_host eject 3
dd if=$hd of=/dev/null bs=2k count=1 2> /tmp/err
check "after eject, reading fails with no medium ($(cat /tmp/err))" grep -q "No medium found" /tmp/err
check "and the capacity is 0" [ "$(cat /sys/block/$b/size)" = 0 ]
sync_host insert 3
check "after insert, the new capacity" sh -c "dd if=$hd of=/dev/null bs=2k count=1 2>/dev/null && [ \$(cat /sys/block/$b/size) = $b_sectors ]"
mount -t iso9660 $hd /mnt
check "the new medium mounts with its own files" sh -c "cd /mnt && test -f one-b && sha256sum -c sums"
umount /mnt
# Hyper-V reports a new medium in GET EVENT STATUS NOTIFICATION only:
# with one in the drive already, TEST UNIT READY sees no change.
sync_host swap 3
check "a medium swapped for another is seen (its capacity)" sh -c "dd if=$hd of=/dev/null bs=2k count=1 2>/dev/null; [ \$(cat /sys/block/$b/size) = $c_sectors ]"
mount -t iso9660 $hd /mnt
check "and its files" sh -c "cd /mnt && test -f one-c && sha256sum -c sums"
umount /mnt
dd if=$(hd_of $empty) of=/dev/null bs=2k count=1 2> /tmp/err
check "an empty drive: no medium" grep -q "No medium found" /tmp/err
# sg_turs opens O_RDONLY|O_NONBLOCK, as cdrom_id and eject do; its
# SG_IO then fails (no such ioctl), the open must not.
sg_turs $(hd_of $empty) > /tmp/err 2>&1
check "an empty drive opens with O_NONBLOCK ($(head -n 1 /tmp/err))" sh -c "! grep -q 'error opening' /tmp/err"
dmesg | grep -i 'medium' | tail -n 3

# The host rescinds the DVD drive while it is polled (every 100 ms) and
# opened in a loop: a media check on the dead disk must not block
# del_gendisk() (6.1 left the dead queue frozen).
echo 100 > /sys/block/$b/events_poll_msecs
(while :; do dd if=$hd of=/dev/null bs=2k count=1 2>/dev/null; done) &
opener=$!
sync_host rescind 1
drive_gone() { dev_absent $dvd && ! test -e /sys/block/$b; }
check "the rescinded DVD drive leaves sysfs while polled and opened" wait_until 40 drive_gone
kill $opener 2>/dev/null

# Last: the host never answers the media check (GET EVENT STATUS
# NOTIFICATION, TEST UNIT READY) of an open.
e=$(hd_of $empty)
sync_host silent 3
dd if=$e of=/dev/null bs=2k count=1 2>/dev/null &
held=$!
held_ends() { ! kill -0 $held 2>/dev/null; }
check "an open the host never answers ends (10 s timeout)" wait_until 40 held_ends
check "the unanswered media check was logged" sh -c "dmesg | grep -qE 'cmd 0x(4a|00): no answer in 10 s'"
check "and the silent channel was closed" sh -c "dmesg | grep -q 'channel failed: closing it'"
GUEST

hv_vars hv_scratch dvd > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker eject 180 || exit
check "dvd eject accepted" hv_ctl dvd eject $dvd
hv_marker insert 180 || exit
missing_refused() { ! hv_ctl dvd insert /nonexistent.iso $dvd > /dev/null; }
check "dvd insert of a missing file refused" missing_refused
check "dvd insert accepted" hv_ctl dvd insert "$hv_scratch/b.iso" $dvd
hv_marker swap 180 || exit
check "dvd insert with a medium in accepted" hv_ctl dvd insert "$hv_scratch/c.iso" $dvd
hv_marker rescind 180 || exit
check "rescind accepted" hv_ctl rescind $dvd
hv_marker silent 180 || exit
check "fault no-completion armed" hv_ctl fault blkvsc no-completion 1
HOST
hv_boot blkvsc-dvd --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 300 -- --dvd="$hv_scratch/a.iso,ctrl=1" \
	--dvd=ctrl=1,unit=1 > /dev/null
hv_report blkvsc-dvd
HV_CHECK_PREFIX="$KVER: blkvsc-dvd: host: "
check_eq "the ISO is unchanged (sha256)" "$iso_sum" "$(sha256sum < "$hv_scratch/a.iso")"
