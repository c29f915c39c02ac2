# SPDX-License-Identifier: GPL-2.0
#
# A hostile host: hvhost's seeded fuzzer (`fuzz SEED COUNT all EVERY`)
# mutates the channel messages and ring packets it sends to every device
# class (echo, SCSI, IDE, NIC, and the VMBus messages) while the guest
# keeps them busy: echo runs, fio on the SCSI and the IDE disk, pings and
# TCP over the NIC in a network namespace made here and deleted on exit.
# A device the guest fails on a bad input stays failed (that is the
# guest's policy), so every few seconds the host rescinds all four and
# offers them again, which also feeds the VMBus messages to the fuzzer;
# the guest's load finds the new devices by their GUIDs.
# Checks: COUNT mutated inputs within the time budget, every class and
# strategy got some; afterwards the host rescinds every device and offers fresh ones,
# which work (echo verified, a pattern written and read back on each
# disk, ping); no kernel trouble (hv_report: oops, KASAN, UBSAN, lockdep,
# WARNING, hangs through the boot timeout and the guest's watchdog). On a
# failure the seed and the last mutations are printed;
# `hvhost ctl SOCKET fuzz SEED COUNT all EVERY` replays them.
#
# HV_FUZZ_COUNT (default 100000 on a kernel with KASAN, the debug
# kernel, else 300), HV_FUZZ_EVERY (default 4: every 4th send of a
# target is mutated, so devices do work in between), HV_FUZZ_SECS (the
# budget: 40 s, 90 s with KASAN; times HV_TIME_SCALE), HV_FUZZ_SEED
# (default: a new one each run, printed).
. "$(dirname "$0")/lib.sh"

# Not yet part of the default tier: the devices the guest fails are not
# released in time for the 5 s re-offers, so neither COUNT nor the fresh
# IDE and NIC offers are reached (see Documentation/hv/testing.rst).
if [ "${HV_FUZZ:-0}" != 1 ] && [[ " ${HV_SCENARIOS:-} " != *" fuzz "* ]]; then
	echo "SKIP: $KVER: fuzz: only with HV_FUZZ=1 or HV_SCENARIOS=fuzz"
	exit 0
fi

hv_scenario_files
ns=hvfz$$
tap=hvtap0
echo_id=99999999-2222-4333-8444-555555555501
fresh_echo=99999999-2222-4333-8444-555555555503
scsi_id=99999999-2222-4333-8444-555555555510
fresh_scsi=99999999-2222-4333-8444-555555555511
ide_id=00000000-0000-8899-0000-000000000000
nic_id=99999999-2222-4333-8444-555555555520
mac=00:15:5d:99:00:02
host4=192.168.99.1 guest4=192.168.99.2
kroot=$("$HV_TOP/scripts/hv-kernel.sh" "$KVER")
# The debug kernel is the one with KASAN; it runs about 3.4x slower.
if grep -qs '^CONFIG_KASAN=y' "$kroot"/boot/config-*; then
	count=${HV_FUZZ_COUNT:-100000} secs=${HV_FUZZ_SECS:-90}
else
	count=${HV_FUZZ_COUNT:-300} secs=${HV_FUZZ_SECS:-40}
fi
secs=$((secs * ${HV_TIME_SCALE:-1}))
every=${HV_FUZZ_EVERY:-4}
seed=${HV_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# shellcheck disable=SC2064
trap "ip netns del $ns 2>/dev/null; hv_scratch_remove" EXIT
HV_CHECK_PREFIX="$KVER: fuzz: host: "
hv_netns $ns $tap $host4/24 ||
	{ hv_fail "cannot create network namespace $ns"; exit 0; }
unset HV_CHECK_PREFIX
truncate -s 64M "$hv_scratch/scsi.img" "$hv_scratch/ide.img"

hv_vars echo_id fresh_echo scsi_id fresh_scsi ide_id mac host4 guest4 \
	secs > "$guest"
cat >> "$guest" <<'GUEST'
ip_up() {	# ip_up [SECS]: the NIC of $mac has $guest4 and answers
	local d
	d=$(iface_of $mac) || { sleep 0.5; return 1; }
	ip addr add $guest4/24 dev $d 2>/dev/null
	ip link set $d up
	wait_until "${1:-20}" ping -c 1 -W 1 $host4
}
# Load that keeps every device class busy until /tmp/stop exists, on
# whatever device of the GUID is there; errors are expected while the
# host lies.
echo_load() {
	local d
	while [ ! -e /tmp/stop ]; do
		d=$(dev_by_instance $echo_id) && echo_ready "$d" &&
			echo "500 1 2048 mixed" > "$(echo_dbg "$d")/run" 2>/dev/null ||
			sleep 0.05
	done
}
fio_load() {	# fio_load FUNCTION ARG...: fio on the disk it prints
	local d
	while [ ! -e /tmp/stop ]; do
		d=$("$@") && fio --name=load --filename="$d" --rw=randrw \
			--bsrange=4k-256k --iodepth=8 --ioengine=libaio \
			--direct=1 --size=32M --time_based --runtime=3 \
			--output=/dev/null 2>/dev/null || sleep 0.5
	done
}
net_load() {
	while [ ! -e /tmp/stop ]; do
		ip_up 2 || continue
		ping -c 20 -i 0.05 -W 1 -s 1400 $host4 > /dev/null 2>&1
		head -c 1048576 /dev/urandom | nc -w 2 $host4 5001 2>/dev/null ||
			sleep 0.5
	done
}
gone() {	# gone PID...: none of them runs
	local p
	for p in "$@"; do kill -0 $p 2>/dev/null && return 1; done
	return 0
}
disk_works() {	# disk_works DEV: 1 MiB pattern written and read back
	pattern_mib > /tmp/pat
	dd if=/tmp/pat of="$1" bs=1M seek=2 oflag=direct conv=fsync 2>/dev/null &&
		dd if="$1" bs=1M skip=2 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat
}

load_vmbus_drivers
d=$(echo_bound $echo_id)
check "the echo device binds" [ -n "$d" ]
check "the SCSI disk appears" wait_until 30 sd_present $scsi_id 0
check "the IDE disk appears" wait_until 30 hd_present $ide_id
check "the NIC appears" wait_until 30 iface_of $mac
check "ping to the host before the fuzz" ip_up
echo_load &
loads=$!
fio_load sd_of $scsi_id 0 &
loads="$loads $!"
fio_load hd_of $ide_id &
loads="$loads $!"
net_load &
loads="$loads $!"
sleep 2
sync_host fuzz-start 0
# The host fuzzes, then rescinds everything and offers fresh devices.
wait_until $((secs + 300)) dev_present $fresh_echo
touch /tmp/stop
check "the load ends" wait_until 60 gone $loads
kill $loads 2>/dev/null
wait
sync_host load-stopped 0

check "the fresh echo device appears" dev_present $fresh_echo
d=$(echo_bound $fresh_echo)
r=$(echo_run "$d" 2000 1 2048 mixed)
check "the fresh echo device echoes 2000 packets ($r)" [ "$(field verified "$r")" = 2000 ]
check "the fresh SCSI disk appears" wait_until 60 sd_present $fresh_scsi 0
check "the fresh SCSI disk writes and reads back" disk_works "$(sd_of $fresh_scsi 0)"
check "the fresh IDE disk appears" wait_until 60 hd_present $ide_id
check "the fresh IDE disk writes and reads back" disk_works "$(hd_of $ide_id)"
check "the fresh NIC appears" wait_until 60 iface_of $mac
check "ping to the host over the fresh NIC" ip_up
GUEST

hv_vars ns echo_id fresh_echo scsi_id fresh_scsi ide_id nic_id \
	guest4 count every seed secs hv_scratch > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null' EXIT
trap 'exit 1' TERM
status_of() { hv_ctl fuzz status | sed -n "s/^fuzz\.$1=//p"; }
# A sink for the guest's TCP load.
( while :; do
	ip netns exec $ns timeout 10 busybox nc -l -p 5001 > /dev/null 2>&1
done ) &
# rescind_all; offer_all: every device away, and back with the same GUID
# (a new relid and channel; the IDE and NIC offers keep their disk and
# TAP, the SCSI controller gets its disk again). An offer waits until the
# guest released the old relid.
rescind_all() {
	local g
	for g in $echo_id $scsi_id $ide_id $nic_id; do
		hv_ctl rescind $g > /dev/null 2>&1
	done
}
offer() { hv_offer_again 10 "$@" > /dev/null; }	# offer CLASS GUID
offer_all() {
	offer echo $echo_id || return 1
	offer scsi $scsi_id || return 1
	hv_ctl disk add "$hv_scratch/scsi.img,lun=0" $scsi_id > /dev/null || return 1
	offer ide $ide_id && offer nic $nic_id
}
# phase KINDS SECS: a fuzz run of those strategies for at most SECS s,
# or until its COUNT; the devices are offered anew every 5 s (times
# HV_TIME_SCALE). Its status and last mutations go to fuzz-KINDS.*.
phase() {
	local t0=$SECONDS last=$SECONDS
	hv_ctl fuzz $seed $count all $every $1 > /dev/null ||
		{ hv_fail "fuzz $seed $count all $every $1 refused"; return; }
	while [ "$(status_of active)" = 1 ] && [ $((SECONDS - t0)) -lt $2 ]; do
		sleep 1
		[ $((SECONDS - last)) -ge $((5 * ${HV_TIME_SCALE:-1})) ] || continue
		rescind_all
		offer_all || lost=$((lost + 1))
		rounds=$((rounds + 1)) last=$SECONDS
	done
	hv_ctl fuzz status > "$HV_RUN/fuzz-$1.status"
	hv_ctl fuzz log 64 > "$HV_RUN/fuzz-$1.log"
	hv_ctl fuzz stop > /dev/null
}
# A field of both phases' status, added up.
total_of() {
	cat "$HV_RUN"/fuzz-*.status | sed -n "s/^fuzz\.$1=//p" |
		awk '{n += $1} END {print n + 0}'
}
hv_marker fuzz-start 300 || exit
start=$SECONDS rounds=0 lost=0
# Every strategy for half the budget (most of them fail the device that
# gets the input), then the ones a guest survives, to the count.
phase all $((secs / 2))
phase stale-id,foreign-id,duplicate,reorder,out-of-seq \
	$((secs - (SECONDS - start)))
took=$((SECONDS - start))
# An offer is lost when the guest still holds the old relid: a mutated
# RESCIND (a bad relid) never reached it, as on a host that lies.
echo "fuzz: $rounds rounds of fresh offers during the fuzz, $lost lost"
done=$(total_of done)
check "$count mutated inputs made in ${took} s ($done, $(total_of failed) not sent)" \
	[ "$done" -ge "$count" ]
echo "fuzz: seed=$seed inputs=$done secs=$took rate=$((done / (took ? took : 1)))/s rounds=$rounds"
for t in vmbus echo scsi ide nic; do
	check "mutated inputs for $t ($(total_of target.$t))" \
		[ "$(total_of target.$t)" -gt 0 ]
done
for k in bitflip boundary truncate duplicate reorder stale-id foreign-id \
	out-of-seq ring-index size-field; do
	check "mutated inputs of kind $k ($(total_of kind.$k))" \
		[ "$(total_of kind.$k)" -gt 0 ]
done
# Fresh devices: everything rescinded, new offers (new GUIDs for the
# echo device and the SCSI controller).
for g in $echo_id $scsi_id $ide_id $nic_id; do
	check "rescind $g accepted" hv_ctl rescind $g
done
check "fresh SCSI controller offered" offer scsi $fresh_scsi
check "a disk on it" hv_ctl disk add "$hv_scratch/scsi.img,lun=0" $fresh_scsi
check "fresh IDE disk offered" offer ide $ide_id
check "fresh NIC offered" offer nic $nic_id
check "fresh echo device offered" offer echo $fresh_echo
hv_marker load-stopped 300 || exit
HOST
hv_boot fuzz --initrd "$HV_INITRD_STORAGE" --guest "$guest" --host "$host" \
	--timeout $((secs / ${HV_TIME_SCALE:-1} + 240)) --netns $ns -- --echo="$echo_id" --scsi="$scsi_id" \
	--disk="$hv_scratch/scsi.img,lun=0" --ide-disk="$hv_scratch/ide.img" \
	--nic="$nic_id,tap=$tap,mac=$mac" > /dev/null
hv_report fuzz | tee "$hv_scratch/report"
grep -a '^fuzz: ' "$HV_RUN/host-script.log" | sed 's/^/  | /'
if grep -q '^FAIL' "$hv_scratch/report"; then
	echo "  | fuzz seed $seed count $count every $every; replay: hvhost ctl SOCKET fuzz $seed $count all $every all (first half),"
	echo "  | then ... fuzz $seed $count all $every stale-id,foreign-id,duplicate,reorder,out-of-seq"
	echo "  | the last mutations (hvhost.log):"
	grep -a 'fuzz seed=' "$HV_RUN/hvhost.log" | tail -n 20 | sed 's/^/  | /'
fi
