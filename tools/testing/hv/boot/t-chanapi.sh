# SPDX-License-Identifier: GPL-2.0
#
# The channel API a NIC driver builds on, through the echo VSC's
# self-tests: a GPADL the host reads back and forgets on teardown, a host
# packet the guest completes (checked by the host), callbacks turned off
# and on (disable_cb/enable_cb), send-space flow control with exactly one
# wake-up, and requests handed back (detach) when the channel closes.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

echo_id=55555555-2222-4333-8444-555555555501
hv_vars echo_id > "$guest"
cat >> "$guest" <<'GUEST'
vmbus_up
d=$(echo_bound $echo_id)
st() { echo "$1" > "$(echo_dbg $d)/selftest" && cat "$(echo_dbg $d)/selftest"; }
is() { [ "$(field "$1" "$r")" = "$2" ]; }

sync_host gpadl-before 3
r=$(st gpadl_create); echo "gpadl_create: $r"
check "gpadl: vmbus_gpadl_create() succeeds" is ret 0
check "gpadl: it covers 3 pages" is size 12288
sync_host gpadl-held 3
r=$(st gpadl_read); echo "gpadl_read: $r"
check "gpadl: the host reads the buffer back byte for byte" is match 1
r=$(st gpadl_teardown); echo "gpadl_teardown: $r"
check "gpadl: vmbus_gpadl_teardown() succeeds" is ret 0
check "gpadl: and clears the handle" is cleared 1
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
hv_marker gpadl-before 300 || exit
before=$(total)
hv_marker gpadl-held 60 || exit
check_eq "the host holds the GPADL after its creation" $((before + 1)) "$(total)"
hv_marker gpadl-gone 60 || exit
check_eq "the host forgets the GPADL on its teardown" "$before" "$(total)"
hv_marker chanapi-done 300 || exit
bad=$(hv_ctl stats | sed -n 's/^chan\.[0-9]*\.bad_packets=//p' | awk '{ s += $1 } END { print s + 0 }')
check_eq "the host took every guest packet (completion included)" 0 "$bad"
HOST
hv_boot chanapi --guest "$guest" --host "$host" --timeout 600 -- \
	--echo=55555555-2222-4333-8444-555555555501 > /dev/null
hv_report chanapi
