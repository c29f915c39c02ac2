# SPDX-License-Identifier: GPL-2.0
#
# The channel API a NIC driver builds on, through the echo VSC's
# self-tests: a GPADL the host reads back and forgets on teardown, a host
# packet the guest completes (checked by the host), callbacks turned off
# and on (disable_cb/enable_cb), send-space flow control with exactly one
# wake-up, and requests handed back (detach) when the channel closes.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

cat > "$guest" <<'GUEST'
echo_id=55555555-2222-4333-8444-555555555501
modprobe hv_vmbus
d=$(echo_bound $echo_id)
st() { echo "$1" > "$d/selftest" && cat "$d/selftest"; }
is() { [ "$(field "$1" "$r")" = "$2" ]; }

sync_host gpadl-before 3
r=$(st gpadl_create); echo "gpadl_create: $r"
check "gpadl: vmbus_gpadl_create() succeeds" is ret 0
check "gpadl: it covers 3 pages" is size 12288
sync_host gpadl-held 3
r=$(st gpadl_read); echo "gpadl_read: $r"
check "gpadl: the host reads the buffer back byte for byte" is match 1
r=$(st gpadl_teardown); echo "gpadl_teardown: $r"
check "gpadl: vmbus_gpadl_teardown() succeeds and clears the handle" \
	sh -c "[ '$(field ret "$r")' = 0 ] && [ '$(field cleared "$r")' = 1 ]"
sync_host gpadl-gone 3
r=$(st gpadl_stale); echo "gpadl_stale: $r"
check "gpadl: the host refuses the torn-down handle" is refused 1

r=$(st completion); echo "completion: $r"
check "vmbus_send_completion(): the host got its id and payload back" is status 0

r=$(st cb); echo "cb: $r"
check "disable_cb: no callback while off" is callbacks_while_off 0
check "enable_cb: reports the packet that came while off" is pending_on_enable 1
check "disable_cb: the poll loop reads it" is polled 1
check "enable_cb: nothing pending once polled" is pending_after 0

r=$(st flow); echo "flow: $r"
ring=$(field ring "$r")
need=$(field need "$r")
full=$(field full "$r")
check "send_space: an empty ring takes ring - 16 bytes" is empty $((ring - 16))
check "send_space: a full ring no longer takes the packet" [ "$full" -lt "$need" ]
check "send_space: a stuck host frees nothing" is later "$full"
check "send_space: the ring filled with the host stuck" is ret -11
check "request_space: armed on a full ring" is armed 1
check "flow: no callback while off" is callbacks_while_off 0
check "request_space: no call while the host is stuck" is calls_stuck 0
check "flow: every echo polled" is polled "$(field sent "$r")"
check "request_space: exactly one call once the host drained" is calls 1
check "send_space: all free again" is after $((ring - 16))

r=$(st close); echo "close: $r"
check "detach: every request left at close handed back" is detached 8
check "detach: each one once" is distinct 8
check "detach: the channel opens again" is reopen 0
r=$(echo_run $d 2000 1 1000 mixed)
check "the reopened channel echoes" is verified 2000
sync_host chanapi-done 3
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
total() { hv_ctl gpadls | sed -n 's/^total=//p'; }
hv_wait_console 'HV-SYNC: gpadl-before' 300 || { echo "FAIL: no gpadl-before marker"; exit; }
before=$(total)
hv_wait_console 'HV-SYNC: gpadl-held' 60 || { echo "FAIL: no gpadl-held marker"; exit; }
held=$(total)
hv_wait_console 'HV-SYNC: gpadl-gone' 60 || { echo "FAIL: no gpadl-gone marker"; exit; }
gone=$(total)
if [ "$held" = $((before + 1)) ] && [ "$gone" = "$before" ]; then
	echo "PASS: the host holds the GPADL until its teardown ($before, $held, $gone)"
else
	echo "FAIL: host GPADLs before/held/gone: $before/$held/$gone"
fi
hv_wait_console 'HV-SYNC: chanapi-done' 300 || { echo "FAIL: no chanapi-done marker"; exit; }
bad=$(hv_ctl stats | sed -n 's/^chan\.[0-9]*\.bad_packets=//p' | awk '{ s += $1 } END { print s + 0 }')
if [ "$bad" = 0 ]; then
	echo "PASS: the host took every guest packet (completion included)"
else
	echo "FAIL: the host counted $bad bad packets"
fi
HOST
hv_boot chanapi --guest "$guest" --host "$host" --timeout 600 -- \
	--echo=55555555-2222-4333-8444-555555555501 > /dev/null
hv_report chanapi
