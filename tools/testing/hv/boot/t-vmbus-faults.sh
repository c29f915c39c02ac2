# SPDX-License-Identifier: GPL-2.0
#
# A hostile host: hvhost injects VMBus faults (`fault vmbus`) one at a
# time, at HV-SYNC markers. Bad messages are logged and dropped; refused
# offers get their relids released when rescinded; bad completions and
# packet types are dropped and counted while the channel keeps working;
# a bad ring index or descriptor fails the channel, whose device can still
# be rescinded; a missing OPENCHANNEL_RESULT times the open out; a ring
# the host keeps replaying costs no CPU for ever (no soft lockup, no RCU
# stall, the shell keeps running); a GPADL the host never confirms torn
# down is leaked and counted; a host whose message queue stays full fails
# one post after 20 s; completions the host sends for ids before their
# packets are in the ring are dropped. At the end a fresh echo device
# works and the modules unload. The kernel never oopses (hv_report checks the console).
. "$(dirname "$0")/lib.sh"

main=99999999-2222-4333-8444-555555555500
# Hot-added devices: 99999999-2222-4333-8444-5555555555NN.
hot=99999999-2222-4333-8444-5555555555
drop_id=${hot}e0
leak_id=${hot}d0
final_id=${hot}f0
# Seconds of ring-replay and of post-busy; sub-channel offer/rescind cycles.
replay_secs=10
busy_secs=25
cycles=100
# The instance hvhost gives its bad offers (vmbus_fault.c).
fault_id=fa17fa17-0000-4000-8000-000000000001

# KIND|COUNT|what the guest logs (a fixed string of a core log line).
msg_faults='msg-too-big|1|host message with bad size 241
short-offer|1|host message type 1 too short: 100
short-rescind|1|host message type 2 too short: 8
unknown-msg|1|unexpected host message type 30
offer-relid-0|1|offer with bad relid 0
offer-relid-high|1|offer with bad relid 2048
offer-relid-used|1|which is in use
offer-dup|1|second offer of device
offer-dup-class|1|second offer of device
offer-orphan|1|bad sub-channel 1 of fa17fa17
rescind-unknown|1|rescind of unknown relid
rescind-refused|3|rescind of refused offer
gpadl-created|1|unexpected message type 10 
gpadl-torndown|1|unexpected message type 12 
open-result|1|unexpected message type 6 
version-response|1|unexpected message type 15 '
# Faults the channel survives: KIND|what the guest logs.
drop_faults='comp-unknown|dropped host packet: unknown completion id
comp-stale|dropped host packet: unknown completion id
pkt-type|dropped host packet: unexpected packet type
xfer-range|dropped host packet: bad transfer-page header'
# Faults that fail the channel, each on a hot-added device: N|KIND|log.
break_faults='01|ring-write-index|broken ring: host write index
02|ring-write-unaligned|broken ring: host write index
03|pkt-offset|broken ring: bad packet descriptor
04|pkt-len|broken ring: bad packet descriptor
05|pkt-overrun|broken ring: bad packet descriptor
06|pkt-oversize|broken ring: packet larger than max_pkt_size'
# Every message, ring write and dropped answer above, the replay, the
# dropped GPADL_TORNDOWN, post-busy, comp-early and the sub-channel cycles.
faults_total=$((33 + cycles))

hv_scenario_files

{
	hv_vars main hot drop_id final_id fault_id leak_id replay_secs \
		busy_secs cycles msg_faults drop_faults break_faults
	cat <<'GUEST'
# How often the core logged a line containing $1. Lines about a channel
# name its device ("hv_echo_test <GUID>: ..."), the others start with
# "hv_vmbus: "; the strings looked for are the core's own either way.
vlog() { dmesg | grep -c -F -- "$1"; }
logged() { [ "$(vlog "$1")" -ge "$2" ]; }
above() { [ "$(cat "$1")" -gt "$2" ]; }
# run_failed RESULT: a run that verified nothing and counted errors.
run_failed() {
	[ "$(field errors "$1")" -gt 0 ] && [ "$(field verified "$1")" = 0 ]
}
uptime_s() { cut -d. -f1 /proc/uptime; }
# (Not "$(dev_by_instance ...)" unchecked: with no device yet that is empty.)
dev_bound() { local d; d=$(dev_by_instance "$1") && echo_ready "$d"; }
# leaked: a value of the core's debugfs folder.
dbg() { cat /sys/kernel/debug/hv_vmbus/$1; }
# echo_ok DEV COUNT: a run whose every echo is verified, without errors.
echo_ok() {
	r=$(echo_run "$1" "$2" 1 4096 mixed)
	echo "echo on $(basename "$1"): $r"
	[ "$(field verified "$r")" = "$2" ] && [ "$(field errors "$r")" = 0 ]
}

mount -t debugfs none /sys/kernel/debug 2>/dev/null
vmbus_up
d=$(echo_bound $main)
relid=$(cat $d/id)
check "echo works before the faults" echo_ok $d 1000
ndev=$(ls $VMBUS | wc -l)

# Bad and unsolicited messages: logged and dropped.
echo "$msg_faults" | while IFS='|' read kind n pat; do
	before=$(vlog "$pat")
	sync_host "msg $kind" 0
	check "$kind: the guest logs '$pat'" \
		wait_until 20 logged "$pat" $((before + n))
done
check "no line of the core has a call trace" sh -c '! dmesg | grep -q "Call Trace"'
check "no device appeared for the bad offers" [ "$(ls $VMBUS | wc -l)" = "$ndev" ]

# Sub-channels offered and rescinded again and again: each is freed, so
# the channel structs come back to what they were.
chans=$(dbg channels)
sync_host "subchannel-cycle" 3
check "subchannel-cycle: $cycles rescinded sub-channels freed (channels=$chans)" \
	wait_until 30 sh -c "[ \"\$(cat /sys/kernel/debug/hv_vmbus/channels)\" = $chans ]"
check "the bad offers' instance has no device" dev_absent $fault_id
check "echo works after the bad messages" echo_ok $d 1000

# Bad packets the channel survives: dropped, counted, logged.
echo "$drop_faults" | while IFS='|' read kind pat; do
	before=$(cat $(chan_dbg $relid)/dropped)
	logs=$(vlog "$pat")
	sync_host "ring $kind" 0
	check "$kind: counted in debugfs channel/$relid/dropped" \
		wait_until 20 above $(chan_dbg $relid)/dropped $before
	check "$kind: the guest logs '$pat'" logged "$pat" $((logs + 1))
	check "$kind: the channel still echoes" echo_ok $d 500
done

# Bad indices and descriptors: the channel fails, its device goes away.
echo "$break_faults" | while IFS='|' read n kind pat; do
	id=$hot$n
	sync_host "hotadd $kind" 0
	if ! wait_until 30 dev_present $id ||
	   ! wait_until 30 echo_ready "$(dev_by_instance $id)"; then
		fail "$kind: a hot-added echo device binds"
		continue
	fi
	k=$(dev_by_instance $id)
	kr=$(cat $k/id)
	logs=$(vlog "$pat")
	failed=$(vlog "channel $kr failed")
	sync_host "ring $kind" 0
	check "$kind: the guest logs '$pat'" \
		wait_until 20 logged "$pat" $((logs + 1))
	check "$kind: channel $kr failed" \
		logged "channel $kr failed" $((failed + 1))
	r=$(echo_run $k 100 1 4096 mixed)
	echo "echo on the failed channel: $r"
	check "$kind: an echo run on the failed channel ends with errors" \
		run_failed "$r"
	sync_host "rescind $kind" 0
	check "$kind: the failed device is removed on rescind" \
		wait_until 30 dev_absent $id
done

# The host keeps the inbound ring non-empty: old packets reappear behind
# the guest's read index for replay_secs. The receive budget keeps every
# CPU usable: detectors on short thresholds find no soft lockup and no
# RCU stall, and the shell's one-second sleeps stay on time.
thresh=$(cat /proc/sys/kernel/watchdog_thresh)
stall=/sys/module/rcupdate/parameters/rcu_cpu_stall_timeout
stall_was=$(cat $stall 2>/dev/null)
echo 3 > /proc/sys/kernel/watchdog_thresh
echo 4 > $stall 2>/dev/null
before=$(cat $(chan_dbg $relid)/dropped)
# The clock check counts only what the kernel says from here on (a boot
# on a busy host may have logged a slow clock readout already).
mark=$(dmesg | wc -l)
sync_host "ring ring-replay" 0
wait_until 20 above $(chan_dbg $relid)/dropped $((before + 1000))
t0=$(uptime_s)
for i in 1 2 3 4 5; do sleep 1; done
t1=$(uptime_s)
echo "five one-second sleeps during the replay took $((t1 - t0)) s"
check "ring-replay: the guest's shell keeps running (5 sleeps in $((t1 - t0)) s)" \
	[ $((t1 - t0)) -le 8 ]
sleep $((replay_secs - 3))
echo "dropped during the replay: $(( $(cat $(chan_dbg $relid)/dropped) - before ))"
echo $thresh > /proc/sys/kernel/watchdog_thresh
[ -n "$stall_was" ] && echo $stall_was > $stall
# (Check names that hv_kernel_trouble does not take for the real thing.)
check "ring-replay: the lockup detector stayed quiet" \
	sh -c '! dmesg | grep -q "soft lockup"'
check "ring-replay: the RCU stall detector stayed quiet" \
	sh -c '! dmesg | grep -qi "rcu.*stall"'
# A CPU held in softirq delays the clocksource watchdog's timer.
check "ring-replay: the clocksource watchdog ran on time" \
	sh -c "! dmesg | tail -n +$((mark + 1)) | grep -q 'Long readout interval'"
check "ring-replay: the channel still echoes" echo_ok $d 500

# The host makes the outbound ring look full, a send with a completion
# blocks, and the host completes the ids that send may be about to use
# before it is in the ring: those completions are dropped, and the echo
# of the real send verifies (seed 2: the first packet asks for a
# completion).
before=$(cat $(chan_dbg $relid)/dropped)
sync_host "comp-early" 1
r=$(echo_run $d 1 64 64 "inband 2")
echo "echo with early completions: $r"
check "comp-early: the early completions finish no request" \
	[ "$(field verified "$r")" = 1 ] && [ "$(field mismatches "$r")" = 0 ] &&
	[ "$(field errors "$r")" = 0 ]
check "comp-early: they are dropped as unknown ids" \
	above $(chan_dbg $relid)/dropped $((before + 3))

# RESCIND, then no GPADL_TORNDOWN for the ring: the rings are leaked,
# logged and counted, never given back to the allocator.
sync_host "hotadd leak" 0
check "leak: a hot-added echo device binds" wait_until 30 dev_bound $leak_id
pages=$(dbg leaked_pages)
logs=$(vlog "not torn down")
sync_host "rescind leak" 0
check "leak: the unconfirmed GPADL is logged" \
	wait_until 30 logged "not torn down" $((logs + 1))
check "leak: the device is removed on rescind" wait_until 30 dev_absent $leak_id
check "leak: its ring pages are counted in leaked_pages" \
	[ "$(dbg leaked_pages)" -ge $((pages + 32)) ]
echo "leaked_gpadls=$(dbg leaked_gpadls) leaked_pages=$(dbg leaked_pages)"

# The host's message queue stays full: one post fails after 20 s instead
# of being retried for minutes (MODIFYCHANNEL, from writing a CPU).
cpu=$(cat $d/channels/$relid/cpu)
sync_host "post-busy" 2
t0=$(uptime_s)
echo $(((cpu + 1) % 2)) > $d/channels/$relid/cpu 2>/dev/null
ret=$?
t1=$(uptime_s)
echo "post-busy: writing the CPU returned $ret after $((t1 - t0)) s"
check "post-busy: the post fails within 30 s" \
	[ $ret != 0 ] && [ $((t1 - t0)) -le 30 ]
check "post-busy: the guest logs it" logged "host queue stayed full" 1
sleep $((busy_secs - (t1 - t0) + 2))
check "post-busy: the channel echoes again" echo_ok $d 500

# No OPENCHANNEL_RESULT: the open times out, the probe fails.
logs=$(vlog "no answer (message type 6,")
sync_host "drop-open" 0
check "drop-open-result: the device appears" wait_until 30 dev_present $drop_id
check "drop-open-result: the open times out, logged" \
	wait_until 60 logged "no answer (message type 6," $((logs + 1))
sleep 2
check "drop-open-result: no driver is bound" \
	[ ! -e "$(dev_by_instance $drop_id)/driver" ]
sync_host "rescind drop-open" 0
check "drop-open-result: the device is removed on rescind" \
	wait_until 30 dev_absent $drop_id

# The bus still works.
check "the first echo device still works" echo_ok $d 1000
sync_host "hotadd final" 0
check "a fresh echo device appears" wait_until 30 dev_present $final_id
k=$(dev_by_instance $final_id)
check "the fresh echo device binds" wait_until 10 echo_ready $k
check "the fresh echo device echoes 2000 packets" echo_ok $k 2000
sync_host "final" 2
check "rmmod hv_echo_test hv_vmbus_emu hv_vmbus" vmbus_down hv_echo_test
check "the vmbus bus is gone" [ ! -d /sys/bus/vmbus ]
GUEST
} > "$guest"

{
	hv_vars main hot drop_id final_id faults_total leak_id replay_secs \
		busy_secs cycles msg_faults drop_faults break_faults
	cat <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
# step MARKER COMMAND...: at the guest's marker, one control command.
step() {
	local m=$1 out
	shift
	hv_marker "$m" 300 || exit 1
	if out=$(hv_ctl "$@" 2>&1); then
		hv_pass "$m: $*"
	else
		hv_fail "$m: $*: $(echo $out)"
	fi
}
hv_stat() { hv_ctl stats | sed -n "s/^$1=//p"; }

echo "$msg_faults" | while IFS='|' read kind n pat; do
	step "msg $kind" fault vmbus $kind $n
done
step "subchannel-cycle" fault vmbus subchannel-cycle $cycles
echo "$drop_faults" | while IFS='|' read kind pat; do
	step "ring $kind" fault vmbus $kind 1 $main
done
echo "$break_faults" | while IFS='|' read n kind pat; do
	step "hotadd $kind" offer echo $hot$n
	step "ring $kind" fault vmbus $kind 1 $hot$n
	step "rescind $kind" rescind $hot$n
done
step "ring ring-replay" fault vmbus ring-replay $replay_secs $main
step "comp-early" fault vmbus comp-early 10 $main
step "hotadd leak" offer echo $leak_id
step "rescind leak" fault vmbus drop-gpadl-torndown 1
hv_ctl rescind $leak_id > /dev/null || hv_fail "rescind $leak_id"
step "post-busy" fault vmbus post-busy $busy_secs
step "drop-open" fault vmbus drop-open-result
hv_ctl offer echo $drop_id > /dev/null || hv_fail "offer echo $drop_id"
step "rescind drop-open" rescind $drop_id
step "hotadd final" offer echo $final_id
hv_marker final 300 || exit 1
released=$(hv_stat vmbus.fault_relids_released)
held=$(hv_stat vmbus.fault_relids_held)
sent=$(hv_stat vmbus.faults_sent)
check_eq "the guest released the relids of the refused offers and cycled sub-channels: released" \
	$((3 + cycles)) "$released"
check_eq "refused offers' relids still held" 0 "$held"
check_eq "faults hvhost injected" "$faults_total" "$sent"
HOST
} > "$host"

hv_boot vmbus-faults --guest "$guest" --host "$host" --timeout 900 -- \
	--echo="$main" > /dev/null
hv_report vmbus-faults
