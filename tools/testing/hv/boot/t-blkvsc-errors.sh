# SPDX-License-Identifier: GPL-2.0
#
# hv_blkvsc against a host that misbehaves: malformed completions
# (fault blkvsc bad-length, bad-id, bad-status, bad-scsi-status,
# bad-sense) are rejected with a log line and counted, the data stays
# intact; a medium error fails the read; a unit attention is retried
# (also on a tag probing used); a request the host keeps waits, and
# unbinding fails it after a 10 s drain; then the host rescinds an
# IDE disk under fio: fio reports errors, the disk leaves sysfs, no hang;
# a request the host keeps on a channel whose ring then breaks ends
# with an error once the guest closed that channel. On a third disk: a
# recovered error (fault recovered-error) is sent again, not counted; the
# host grows the image (resize) and the guest follows, its new end landing
# in the image; INQUIRY strings with control bytes (fault inquiry-control)
# are logged escaped; last, a read the live host never answers ends with
# an error after 3 timeouts, the channel closed and the disk failed.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ide00=00000000-0000-8899-0000-000000000000
ide01=00000000-0001-8899-0000-000000000000
ide10=00000001-0000-8899-0000-000000000000
truncate -s 16M "$hv_scratch/a.img" "$hv_scratch/b.img" "$hv_scratch/c.img"

hv_vars ide00 ide01 ide10 > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
three_disks() { hd_present $ide00 && hd_present $ide01 && hd_present $ide10; }
wait_until 30 three_disks
hd=$(hd_of $ide00)
bad() { cat /sys/block/${hd#/dev/}/bad_completions; }
pattern_mib > /tmp/pat
dd if=/tmp/pat of=$hd bs=1M oflag=direct 2>/dev/null
for fault in bad-length bad-id bad-status bad-scsi-status bad-sense; do
	before=$(bad)
	echo "HV-SYNC: fault $fault"
	sleep 3
	for i in 1 2 3 4; do
		dd if=$hd of=/dev/null bs=4k count=1 skip=$i iflag=direct 2>/dev/null
	done
	case $fault in
	bad-id) check "fault $fault: the stray completion is dropped by the core" sh -c "dmesg | grep -q 'unknown completion id'" ;;
	*) check "fault $fault: the completion is rejected and counted ($before -> $(bad))" [ $(bad) -gt $before ] ;;
	esac
done
check "the bad completions were logged" sh -c "dmesg | grep hv_blkvsc | grep -qiE 'short completion|unknown SRB status|more than requested|invalid SCSI status|invalid sense'"
check "the disk still reads back what was written" sh -c "dd if=$hd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
echo "HV-SYNC: fault medium-error"
sleep 3
check "a medium error fails the read" sh -c "! dd if=$hd of=/dev/null bs=4k count=1 skip=20 iflag=direct 2>/dev/null"
check "as a critical medium error" sh -c "dmesg | grep -q 'critical medium error, dev $(basename $hd)'"

# Freed tags are reused first, so this read likely gets a tag probing's
# private requests had: it must still have its retries.
echo "HV-SYNC: fault ua-capacity-changed"
sleep 3
check "a read the host answers with a unit attention is sent again and succeeds" \
	dd if=$hd of=/dev/null bs=4k count=1 skip=25 iflag=direct

echo "HV-SYNC: fault no-completion"
sleep 3
dd if=$hd of=/dev/null bs=4k count=1 skip=30 iflag=direct 2>/dev/null &
held=$!
sleep 2
check "a request the host keeps waits (Hyper-V completes everything)" kill -0 $held
id=$(basename "$(dev_by_instance $ide00)")
start=$(date +%s)
echo $id > /sys/bus/vmbus/drivers/hv_blkvsc/unbind
took=$(($(date +%s) - start))
check "unbind ends after the 10 s drain (${took} s)" [ $took -ge 9 -a $took -le 30 ]
wait $held
rc=$?
check "the kept request failed (exit $rc)" [ $rc != 0 ]
check "the drain was logged" sh -c "dmesg | grep -q 'did not complete its requests in 10 s'"
echo $id > /sys/bus/vmbus/drivers/hv_blkvsc/bind
check "the disk binds again" wait_until 30 hd_present $ide00
hd=$(hd_of $ide00)
check "and reads back what was written" sh -c "dd if=$hd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"

hd2=$(hd_of $ide01)
fio --name=busy --filename=$hd2 --rw=randrw --bs=4k --iodepth=16 \
	--ioengine=libaio --direct=1 --time_based --runtime=120 \
	--output=/tmp/fio.out &
fio=$!
sleep 3
echo "HV-SYNC: rescind"
disk_gone() { dev_absent $ide01 && ! test -e /sys/block/${hd2#/dev/}; }
check "the rescinded IDE disk leaves sysfs" wait_until 60 disk_gone
check "fio on the rescinded disk ends" wait_until 60 sh -c "! kill -0 $fio 2>/dev/null"
wait $fio
rc=$?
check "fio on the rescinded disk reports errors (exit $rc)" [ $rc != 0 ]
check "the other disk still works" sh -c "dd if=$hd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"

# A 5 s block-layer timeout: the first one after the break closes.
echo 5000 > /sys/block/${hd#/dev/}/queue/io_timeout
sync_host no-completion-broken-ring 3
dd if=$hd of=/dev/null bs=4k count=1 skip=40 iflag=direct 2>/dev/null &
held=$!
sleep 2
sync_host break-ring 3
held_ends() { ! kill -0 $held 2>/dev/null; }
check "a request held on a channel whose ring broke ends" wait_until 30 held_ends
wait $held
rc=$?
check "and fails (exit $rc)" [ $rc != 0 ]
check "the failed channel was closed first" sh -c "dmesg | grep -q 'channel failed: closing it before its requests fail'"
sync_host closed 3

hd=$(hd_of $ide10); b=${hd#/dev/}
check "64 tags per IDE disk ($(cat /sys/block/$b/mq/0/nr_tags))" [ "$(cat /sys/block/$b/mq/0/nr_tags)" = 64 ]
dd if=/tmp/pat of=$hd bs=1M oflag=direct 2>/dev/null
sync_host recovered-error 3
check "a read the host ends with RECOVERED ERROR and SRB ERROR is sent again and succeeds" \
	sh -c "dd if=$hd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
check "and is not a bad completion ($(bad))" [ "$(bad)" = 0 ]

sync_host resize 3
dd if=$hd of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
grown() { [ "$(cat /sys/block/$b/size)" = 49152 ]; }
check "the host grew the disk to 24 MiB: the guest follows" wait_until 10 grown
check "the resize was logged" sh -c "dmesg | grep -q '$b: capacity changed to 49152 sectors'"
check "a write at the new end" dd if=/tmp/pat of=$hd bs=1M seek=23 oflag=direct 2>/dev/null
check "reads back" sh -c "dd if=$hd bs=1M skip=23 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
sync_host resized 3

id=$(basename "$(dev_by_instance $ide10)")
sync_host inquiry-control 3
echo $id > /sys/bus/vmbus/drivers/hv_blkvsc/unbind
echo $id > /sys/bus/vmbus/drivers/hv_blkvsc/bind
wait_until 30 hd_present $ide10
hd=$(hd_of $ide10); b=${hd#/dev/}
check "INQUIRY strings with control bytes: no forged log line" sh -c "! dmesg | grep FORGED | grep -qv 'disk: '"
check "and no raw escape in the log" sh -c "! dmesg | grep -q \"\$(printf '\\033')\""
check "the disk with them still reads" sh -c "dd if=$hd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"

echo 2000 > /sys/block/$b/queue/io_timeout
sync_host silent 3
start=$(date +%s)
dd if=$hd of=/dev/null bs=4k count=1 skip=50 iflag=direct 2>/dev/null &
held=$!
check "a read the live host never answers ends" wait_until 30 held_ends
took=$(($(date +%s) - start))
# Not waited for while it hangs: the scenario goes on.
rc=hung
held_ends && { wait $held; rc=$?; }
check "with an error (exit $rc), after 3 timeouts of 2 s (${took} s)" [ $rc != hung -a $rc != 0 -a $took -ge 5 -a $took -le 20 ]
check "the silence was logged" sh -c "dmesg | grep -q 'cmd 0x28: no answer in 3 timeouts'"
check "the disk is failed: a new read fails at once" sh -c "! timeout 5 dd if=$hd of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null"
sync_host silent-closed 3
GUEST

hv_vars ide00 ide01 ide10 hv_scratch > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
for fault in bad-length bad-id bad-status bad-scsi-status bad-sense medium-error \
		ua-capacity-changed no-completion; do
	hv_marker "fault $fault" 180 || exit
	check "fault $fault armed" hv_ctl fault blkvsc $fault 1
done
hv_marker rescind 180 || exit
check "rescind accepted" hv_ctl rescind $ide01
hv_marker no-completion-broken-ring 180 || exit
check "fault no-completion armed" hv_ctl fault blkvsc no-completion 1
hv_marker break-ring 180 || exit
check "fault vmbus ring-write-index armed" hv_ctl fault vmbus ring-write-index 1 $ide00
hv_marker closed 120 || exit
check_eq "the broken channel was closed: completions the host holds" 0 \
	"$(hv_ctl stats | sed -n 's/^ide\.storvsp\.held=//p')"
hv_marker recovered-error 120 || exit
check "fault recovered-error armed" hv_ctl fault blkvsc recovered-error 1
hv_marker resize 120 || exit
shrink_refused() { ! hv_ctl resize 8M $ide10 > /dev/null; }
check "resize to a smaller size refused" shrink_refused
check "resize to 24M accepted" hv_ctl resize 24M $ide10
check_eq "the image grew" $((24 << 20)) "$(stat -c %s "$hv_scratch/c.img")"
hv_marker resized 120 || exit
seq 1 200000 | head -c 1048576 > "$hv_scratch/pat"
check "the guest's write at the new end is at 23 MiB of the image" \
	sh -c "dd if='$hv_scratch/c.img' bs=1M skip=23 count=1 2>/dev/null | cmp -s - '$hv_scratch/pat'"
hv_marker inquiry-control 120 || exit
check "fault inquiry-control armed" hv_ctl fault blkvsc inquiry-control 1
hv_marker silent 120 || exit
check "fault no-completion armed" hv_ctl fault blkvsc no-completion 1
hv_marker silent-closed 120 || exit
check_eq "the silent channel was closed: completions the host holds" 0 \
	"$(hv_ctl stats | sed -n 's/^ide\.storvsp\.held=//p')"
HOST
hv_boot blkvsc-errors --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 500 -- --ide-disk="$hv_scratch/a.img" \
	--ide-disk="$hv_scratch/b.img" --ide-disk="$hv_scratch/c.img,ctrl=1" \
	> /dev/null
hv_report blkvsc-errors
