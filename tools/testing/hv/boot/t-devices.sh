# SPDX-License-Identifier: GPL-2.0
#
# Offers become devices with the right class_id and device_id, and modprobe
# resolves their modaliases from the depmod'ed module tree.
. "$(dirname "$0")/lib.sh"

echo_id=11111111-2222-4333-8444-555555555501
scsi_id=11111111-2222-4333-8444-555555555502
ide_id=11111111-2222-4333-8444-555555555503
nic_id=11111111-2222-4333-8444-555555555504

hv_scenario_files
hv_vars nic_id echo_id scsi_id ide_id > "$guest"
cat >> "$guest" <<'GUEST'
vmbus_up
wait_until 10 dev_present $nic_id
for pair in $echo_id:$ECHO_CLASS $scsi_id:$SCSI_CLASS $ide_id:$IDE_CLASS $nic_id:$NET_CLASS; do
	id=${pair%%:*}
	class=${pair#*:}
	d=$(dev_by_instance $id)
	if [ -z "$d" ]; then
		fail "device $id appears"
		continue
	fi
	pass "device $id appears"
	check "$id: class_id is $class" [ "$(strip_braces < $d/class_id)" = "$class" ]
	check "$id: modalias" [ "$(cat $d/modalias)" = "$(guid_modalias $class)" ]
	check "$id: uevent carries MODALIAS" grep -q "^MODALIAS=$(guid_modalias $class)\$" $d/uevent
	for f in state id; do
		check "$id: sysfs $f readable" cat $d/$f > /dev/null
	done
done
d=$(dev_by_instance $echo_id)
check "modprobe resolves the echo modalias to hv_echo_test" sh -c "/sbin/modprobe -R $(cat $d/modalias) | grep -qx hv_echo_test"
modprobe $(cat $d/modalias)
check "the echo driver binds through its modalias" wait_until 10 test -e $d/driver
c=$d/channels/$(cat $d/id)
check "ring state in the channel's sysfs folder" cat $c/out_read_index $c/in_write_index $c/out_read_bytes_avail $c/in_read_bytes_avail
check "no ring file in the device's sysfs folder" sh -c "! ls $d | grep -qE '^(in|out)_'"
check "no debug counter in the channel's sysfs folder" sh -c "! ls $c | grep -qE '^(signals|events|ring_full|dropped)\$'"
check "the channel's counters in debugfs" cat $(chan_dbg $(cat $d/id))/signals $(chan_dbg $(cat $d/id))/dropped
check "echo's run file in debugfs" echo_ready $d
check "echo's files not in sysfs" sh -c "! ls $d | grep -qE '^(run|result|ring_size)\$'"
check "channel cpu in sysfs" cat $d/cpu
GUEST
hv_boot devices --guest "$guest" --timeout 150 -- \
	--echo="$echo_id" --scsi="$scsi_id" --ide="$ide_id" --nic="$nic_id" > /dev/null
hv_report devices
