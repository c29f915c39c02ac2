# SPDX-License-Identifier: GPL-2.0
#
# rmmod/modprobe hv_vmbus 20 times: the device comes back each time, no
# warning in dmesg, and no GPADL is left on the host afterwards.
. "$(dirname "$0")/lib.sh"

echo_id=44444444-2222-4333-8444-555555555501
hv_scenario_files

hv_vars echo_id > "$guest"
cat >> "$guest" <<'GUEST'
ok=0
for i in $(seq 20); do
	vmbus_up || break
	d=$(echo_bound $echo_id) || break
	r=$(echo_run $d 200 1 1024 mixed)
	[ "$(field verified "$r")" = 200 ] || break
	vmbus_down hv_echo_test || break
	ok=$i
done
check "20 load/echo/unload cycles (completed $ok)" [ "$ok" = 20 ]
check "hv_vmbus is unloaded" sh -c "! grep -q '^hv_vmbus ' /proc/modules"
sync_host unloaded 3
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker unloaded 600 || exit
out=$(hv_ctl gpadls)
echo "$out"
total=$(echo "$out" | sed -n 's/.*total=\([0-9]*\).*/\1/p' | head -n 1)
check_eq "GPADLs left on the host" 0 "$total"
HOST
hv_boot reload --guest "$guest" --host "$host" --timeout 600 -- \
	--echo="$echo_id" > /dev/null
hv_report reload
