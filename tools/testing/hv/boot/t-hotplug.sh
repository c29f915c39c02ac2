# SPDX-License-Identifier: GPL-2.0
#
# Rescind of an echo device while it is busy: no oops, no hang, the run
# ends with errors and the device leaves sysfs; a hot-added device works.
. "$(dirname "$0")/lib.sh"

old_id=33333333-2222-4333-8444-555555555501
new_id=33333333-2222-4333-8444-555555555502
hv_scenario_files

hv_vars old_id new_id > "$guest"
cat >> "$guest" <<'GUEST'
vmbus_up
d=$(echo_bound $old_id)
(echo "10000000 1 4096 mixed" > $(echo_dbg $d)/run; echo "HV-GUEST: run ended $?") &
runner=$!
sleep 2
echo "HV-SYNC: busy"
check "rescinded device leaves sysfs" wait_until 60 dev_absent $old_id
check "the busy run ends after the rescind" wait_until 60 sh -c "! kill -0 $runner 2>/dev/null"
echo "HV-SYNC: gone"
check "hot-added device appears" wait_until 60 dev_present $new_id
d=$(dev_by_instance $new_id)
check "hot-added device binds" wait_until 10 echo_ready $d
r=$(echo_run $d 2000 1 2048 mixed)
check "hot-added device echoes 2000 packets ($r)" [ "$(field verified "$r")" = 2000 ]
GUEST

hv_vars old_id new_id > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker busy 120 || exit
check "rescind accepted" hv_ctl rescind $old_id
hv_marker gone 180 || exit
check "hot-add accepted" hv_ctl offer echo $new_id
HOST
hv_boot hotplug --guest "$guest" --host "$host" --timeout 400 -- \
	--echo="$old_id" > /dev/null
hv_report hotplug
