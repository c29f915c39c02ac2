# SPDX-License-Identifier: GPL-2.0
#
# SCSI errors as Hyper-V reports them reach the guest's SCSI layer with
# their sense: an unsupported command is ILLEGAL REQUEST and sd turns off
# what the host refuses; a medium error fails the read; unit attentions
# rescan; INVALID_LUN removes a LUN. A host that breaks the SCSI contract
# (impossible status, invalid sense, no completion at all) costs the
# command, never the guest, and cannot hold up unbinding the controller.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ctrl=88888888-2222-4333-8444-555555555500
truncate -s 16M "$hv_scratch/lun0.img" "$hv_scratch/lun1.img"

hv_vars ctrl > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl 0
wait_until 30 sd_present $ctrl 1
sd=$(sd_of $ctrl 0)
dev=${sd#/dev/}
shost=$(basename "$(ls -d "$(dev_by_instance $ctrl)"/host*)")
bad() { cat /sys/class/scsi_host/$shost/bad_completions; }
logged() { dmesg | grep -q "$1"; }
# LUN 0's requests sent so far, from sysfs (hex).
requests() { echo $(($(cat /sys/block/$dev/device/iorequest_cnt))); }
pattern_mib > /tmp/pat
head -c 65536 /dev/zero > /tmp/zero
dd if=/tmp/pat of=$sd bs=1M oflag=direct 2>/dev/null
dd if=/tmp/pat of=$sd bs=1M seek=2 oflag=direct 2>/dev/null

sg_raw $sd c0 00 00 00 00 00 > /tmp/sg-opcode 2>&1
check "an unsupported opcode gets CHECK CONDITION, ILLEGAL REQUEST" grep -q "Illegal Request" /tmp/sg-opcode

ws=$(ls /sys/block/$dev/device/scsi_disk/*/max_write_same_blocks)
check "sd saw REPORT SUPPORTED OPCODES refused: WRITE SAME by the VPD limit (max_write_same_blocks $(cat $ws))" [ "$(cat $ws)" -gt 0 ]
ws0=$(cat $ws)
/sbin/blkdiscard -f -z -o 2097152 -l 65536 $sd
check "a WRITE SAME (10) the host refuses turns WRITE SAME off (max_write_same_blocks $ws0 -> $(cat $ws))" sh -c "[ $ws0 -gt 0 ] && [ $(cat $ws) = 0 ]"
check "the zeroed range reads back zeros" sh -c "dd if=$sd bs=64k skip=32 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/zero"

sync_host stats 3
sync_host medium-error 3
if dd if=$sd of=/dev/null bs=4k count=1 skip=5 iflag=direct 2>/dev/null; then
	fail "a read the host fails with a medium error fails"
else
	pass "a read the host fails with a medium error fails"
fi
check "sd logged the medium error sense" sh -c "dmesg | grep -qi 'unrecovered read error'"

b0=$(bad)
sync_host bad-scsi-status 3
sg_raw -r 4096 $sd 28 00 00 00 00 05 00 00 08 00 > /tmp/sg-status 2>&1
rc=$?
check "a completion with SCSI status 0x7e fails the command (sg_raw exit $rc)" [ $rc != 0 ]
check "the guest logged the invalid SCSI status" logged "invalid SCSI status (0x7e)"
sync_host bad-sense 3
sg_raw -r 4096 $sd 28 00 00 00 00 05 00 00 08 00 > /tmp/sg-sense 2>&1
rc=$?
check "a CHECK CONDITION with invalid sense fails the command (sg_raw exit $rc)" [ $rc != 0 ]
check "the guest logged the invalid sense" logged "CHECK CONDITION with invalid sense"
check "both count as bad completions ($b0 -> $(bad))" [ $(($(bad) - b0)) = 2 ]

lun1=$(sd_of $ctrl 1)
echo 1 > /sys/block/${lun1#/dev/}/device/delete
check "LUN 1 deleted in the guest only" wait_until 10 sd_absent $ctrl 1
sync_host ua-luns-changed 3
dd if=$sd of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
check "the unit attention 'reported LUNs data has changed' rescans: LUN 1 is back" wait_until 30 sd_present $ctrl 1

r0=$(requests)
sync_host ua-capacity-changed 3
dd if=$sd of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
check "the unit attention 'capacity data has changed' rescans the LUN" wait_until 10 logged "changed by the host: rescanning"
sleep 2
r1=$(requests)
check "the rescan asked the disk again ($((r1 - r0)) requests for one read)" [ $((r1 - r0)) -ge 5 ]
sync_host ua-params-changed 3
dd if=$sd of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
check "the unit attention 'mode parameters changed' rescans the LUN" wait_until 10 sh -c "[ \$(dmesg | grep -c 'changed by the host: rescanning') -ge 2 ]"

sync_host remove-lun 3
check "the LUN the host removed (INVALID_LUN) leaves the guest" wait_until 30 sd_absent $ctrl 1

echo 5 > /sys/block/$dev/device/timeout
sync_host no-completion-at-unbind 3
dd if=$sd of=/dev/null bs=4k count=1 skip=7 iflag=direct 2>/dev/null &
lost=$!
sleep 12
check "a command the host has not completed still waits past its 5 s timeout" kill -0 $lost
check "and is not aborted while its channel lives" sh -c "! dmesg | grep -q 'no completion from the host: aborted'"
id=$(basename "$(dev_by_instance $ctrl)")
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/unbind &
unbind=$!
check "unbind with a command the host never completes ends" wait_until 40 sh -c "! kill -0 $unbind 2>/dev/null"
check "the guest logged the command it failed at unbind" logged "did not complete 1 command"
wait $lost
rc=$?
check "the command that waited past its timeout fails at unbind (dd exit $rc)" [ $rc != 0 ]
# One channel from here on: the host breaks the primary's ring below.
echo 0 > /sys/module/hv_storvsc/parameters/sub_channels
echo $id > /sys/bus/vmbus/drivers/hv_storvsc/bind
check "the controller comes back after bind" wait_until 30 sd_present $ctrl 0
sd=$(sd_of $ctrl 0)
check "the disk still reads back what was written" sh -c "dd if=$sd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"

# sd probes a new disk in the background: let it finish, or one of its
# commands, not ours, is the one the host keeps.
sleep 3
sync_host no-completion-broken-ring 3
sg_raw -t 5 -r 4096 $sd 28 00 00 00 00 06 00 00 08 00 > /tmp/sg-broken 2>&1 &
sgpid=$!
sync_host break-ring 3
check "a command held on a channel whose ring broke ends" wait_until 40 sh -c "! kill -0 $sgpid 2>/dev/null"
wait $sgpid
rc=$?
check "and fails (sg_raw exit $rc)" [ $rc != 0 ]
# The host's storvsp.held (checked by the host script below) shows that
# the channel was closed; which guest path failed the command is not
# checked: on 6.1 it is sometimes not the abort handler (under study).
sync_host closed 3
GUEST

hv_vars ctrl > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker stats 300 || exit
n=$(hv_ctl stats | sed -n "s/^scsi\.$ctrl\.srbs_no_freeze=//p")
total=$(hv_ctl stats | sed -n "s/^scsi\.$ctrl\.srbs=//p")
check "SRBs to the tagged LUNs ask for no queue freeze ($n of $total)" [ "${n:-0}" -gt 0 ]
# do_step STEP: what the host does at the guest's STEP marker.
do_step() {
	case $1 in
	remove-lun) hv_ctl disk remove $ctrl 1 ;;
	no-completion-*) hv_ctl fault storvsc no-completion 1 ;;
	break-ring) hv_ctl fault vmbus ring-write-index 1 $ctrl ;;
	*) hv_ctl fault storvsc $1 1 ;;
	esac
}
for step in medium-error bad-scsi-status bad-sense \
	    ua-luns-changed ua-capacity-changed ua-params-changed remove-lun \
	    no-completion-at-unbind no-completion-broken-ring break-ring; do
	hv_marker "$step" 300 || exit
	check "$step done" do_step "$step"
done
hv_marker closed 120 || exit
held=$(hv_ctl stats | sed -n 's/^storvsp\.held=//p')
check_eq "the broken channel was closed: completions the host holds" 0 "$held"
# The command that met the broken ring may have failed before the host
# took the no-completion fault: left armed, it would keep an answer the
# next controller's probe waits for (the debug tier's teardown binds it).
armed=$(hv_ctl stats | sed -n 's/^storvsp\.armed=//p')
check "no storvsc fault stays armed (was $armed)" hv_ctl fault storvsc none
HOST
hv_boot storvsc-errors --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 420 -- --scsi="$ctrl" \
	--disk="$hv_scratch/lun0.img,lun=0" \
	--disk="$hv_scratch/lun1.img,lun=1" > /dev/null
hv_report storvsc-errors
