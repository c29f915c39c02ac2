# SPDX-License-Identifier: GPL-2.0
#
# The echo VSC sends 100,000+ packets of 1 byte to half the ring, inband
# and GPA-direct, and verifies every echo byte for byte. The ring wraps
# many times, a full ring blocks the sender until the host drains it, and
# the guest signals the host far less often than once per packet.
. "$(dirname "$0")/lib.sh"

echo_id=22222222-2222-4333-8444-555555555501
# A second device offered without a monitor id: the guest signals it with
# HvSignalEvent instead of the monitor page.
plain_id=22222222-2222-4333-8444-555555555502
hv_scenario_files

hv_vars echo_id plain_id > "$guest"
cat >> "$guest" <<'GUEST'
vmbus_up
d=$(echo_bound $echo_id)
ring=$(cat $(echo_dbg $d)/ring_size)
half=$((ring / 2))
n=$(lean 100000 10000)
for mode in inband gpadirect mixed; do
	r=$(echo_run $d $n 1 $half $mode)
	echo "echo $mode: $r"
	sent=$(field sent "$r")
	check "echo $mode: $n packets sent" [ "$sent" = $n ]
	check "echo $mode: every echo verified" [ "$(field verified "$r")" = $n ]
	check "echo $mode: no mismatch" [ "$(field mismatches "$r")" = 0 ]
	check "echo $mode: no error" [ "$(field errors "$r")" = 0 ]
	check "echo $mode: ring wrapped many times" [ $(($(field bytes "$r") / ring)) -ge 10 ]
	# GPA-direct data stays in guest pages: only inband fills the ring.
	if [ $mode != gpadirect ]; then
		check "echo $mode: a full ring blocked the sender" [ "$(field ring_full_waits "$r")" -gt 0 ]
	fi
	check "echo $mode: fewer signals than packets" [ "$(field signals "$r")" -lt "$sent" ]
done
d=$(dev_by_instance $plain_id)
wait_until 10 echo_ready $d
n=$(lean 30000 5000)
r=$(echo_run $d $n 1 $half mixed)
echo "echo without monitor: $r"
check "echo without monitor page: every echo verified" [ "$(field verified "$r")" = $n ]
check "echo without monitor page: no error" [ "$(field errors "$r")" = 0 ]
r=$(echo_latency $d 2000 64 64 inband)
echo "echo latency: $r"
p50=$(field lat_p50_ns "$r"); p99=$(field lat_p99_ns "$r"); max=$(field lat_max_ns "$r")
check "echo latency run: every echo verified, no error" [ "$(field verified "$r")" = 2000 -a "$(field errors "$r")" = 0 ]
check "echo latency: 0 < median ($p50 ns) <= p99 ($p99 ns) <= max ($max ns)" [ "$p50" -gt 0 -a "$p50" -le "$p99" -a "$p99" -le "$max" ]
check "echo latency: a run longer than the samples kept is refused" sh -c "! echo '2000000 64 64 inband' > $(echo_dbg $d)/latency"
sync_host echo-done 3
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker echo-done 600 || exit
stats=$(hv_ctl stats)
echo "$stats"
sum() { echo "$stats" | sed -n "s/^chan\.[0-9]*\.$1=//p" | awk '{ s += $1 } END { print s + 0 }'; }
rx=$(sum rx_packets)
sig=$(sum guest_signals)
want=330000
[ "$HV_LEAN" = 1 ] && want=35000
check "hvhost saw $rx packets ($want or more)" [ "$rx" -ge $want ]
check "only $sig guest signals (fewer than $((rx / 2)))" [ "$sig" -lt $((rx / 2)) ]
mon=$(sum monitor_signals)
evt=$(sum event_signals)
check "signal path used: monitor page ($mon)" [ "$mon" -gt 0 ]
check "signal path used: HvSignalEvent ($evt)" [ "$evt" -gt 0 ]
HOST
hv_boot echo --guest "$guest" --host "$host" --timeout 900 -- \
	--echo="$echo_id" --echo="$plain_id,nomonitor" > /dev/null
hv_report echo
