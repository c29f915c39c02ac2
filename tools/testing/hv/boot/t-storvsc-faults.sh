# SPDX-License-Identifier: GPL-2.0
#
# Malformed completions injected by hvhost (bad length, unknown request
# id, impossible status) are rejected with a log line; the guest survives
# and the disk keeps working. Then a host that answers CREATE_SUB_CHANNELS
# (and offers the sub-channels) only after the guest gave up waiting: the
# controller runs on its primary channel, the late answer is dropped, the
# late offer stays unopened, and the next bind gets its sub-channel again.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ctrl=77777777-2222-4333-8444-555555555500
truncate -s 16M "$hv_scratch/lun0.img"

hv_vars ctrl > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl 0
sd=$(sd_of $ctrl 0)
pattern_mib > /tmp/pat
dd if=/tmp/pat of=$sd bs=1M oflag=direct 2>/dev/null
for fault in bad-length bad-id bad-status; do
	echo "HV-SYNC: fault $fault"
	sleep 3
	for i in 1 2 3 4; do
		dd if=$sd of=/dev/null bs=4k count=1 skip=$i iflag=direct 2>/dev/null
	done
done
sleep 1
dmesg > /tmp/dmesg
check "the guest logged the bad completions" sh -c "grep -i storvsc /tmp/dmesg | grep -qiE 'bad|invalid|unknown|malformed|short'"
check "the disk still reads back what was written" sh -c "dd if=$sd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"

d=$(dev_by_instance $ctrl)
id=$(basename "$d")
nr_chans() { cat $d/host*/scsi_host/host*/channels; }
dropped() { dmesg | grep -c 'unknown completion id'; }
one_offered_sub() { [ $(grep -l offered $d/channels/*/state | wc -l) = 1 ]; }
subchannel_back() { sd_present $ctrl 0 && [ "$(nr_chans)" = 2 ]; }
check "the controller has a sub-channel before the fault ($(nr_chans) channels)" [ "$(nr_chans)" = 2 ]
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/unbind
before=$(dropped)
sync_host subchannel-late 3
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/bind
check "the controller comes back after a late sub-channel answer" wait_until 30 sd_present $ctrl 0
sd=$(sd_of $ctrl 0)
check "it gave up waiting for the answer" sh -c "dmesg | grep -q 'CREATE_SUB_CHANNELS: no answer from the host: -110'"
check "and runs on its primary channel only ($(nr_chans) channels)" [ "$(nr_chans)" = 1 ]
check "with one hardware queue" [ $(ls -d /sys/block/${sd#/dev/}/mq/* | wc -l) = 1 ]
late_dropped() { [ $(dropped) -gt $before ]; }
check "the late answer was dropped" wait_until 10 late_dropped
check "the late offer came and stays unopened" wait_until 10 one_offered_sub
check "the disk reads back what was written on one channel" sh -c "dd if=$sd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/unbind
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/bind
check "the next bind opens the sub-channel again" wait_until 30 subchannel_back
# Three opens round robin over two CPUs: now the primary is on CPU 1.
sd=$(sd_of $ctrl 0)
chan_cpu() { for c in $d/channels/*; do [ "$(cat $c/subchannel_id)" = $1 ] && cat $c/cpu; done; }
queue_has() { echo ", $(cat /sys/block/${sd#/dev/}/mq/$1/cpu_list), " | grep -q ", $2, "; }
queues_follow_cpus() { queue_has 0 $(chan_cpu 0) && queue_has 1 $(chan_cpu 1); }
check "each hardware queue runs on its channel's CPU ($(chan_cpu 0), $(chan_cpu 1))" queues_follow_cpus
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
for fault in bad-length bad-id bad-status; do
	hv_marker "fault $fault" 180 || exit
	check "fault $fault armed" hv_ctl fault storvsc $fault 1
done
hv_marker subchannel-late 180 || exit
check "fault subchannel-late armed" hv_ctl fault storvsc subchannel-late 1
HOST
hv_boot storvsc-faults --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 400 -- --scsi="$ctrl" \
	--disk="$hv_scratch/lun0.img,lun=0" > /dev/null
hv_report storvsc-faults
