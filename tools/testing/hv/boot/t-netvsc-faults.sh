# SPDX-License-Identifier: GPL-2.0
#
# Every `fault netvsc` kind against the guest's NIC driver: the guest logs
# and drops the bad host input, never oopses, and the NIC still carries
# traffic afterwards; then the NIC is rescinded and offered again (the
# same TAP), and the new interface works. Traffic stays in a network
# namespace made here (the TAP and loopback, no route out), deleted on exit.
# The NIC speaks NVSP 6 (nvsp=6), so that tx-table-v6 (the send table as
# Hyper-V hosts before 6.1 lay it out) applies: TX must follow the table
# at byte 40. The rescind comes while iperf3 runs: the guest survives and
# the interface leaves. Before that, ring-fill (no inbound room kept for
# completions) under an iperf3 from the host: the guest reads on.
# Last, 20 rmmod/modprobe cycles, and no GPADL may be left on the host.
. "$(dirname "$0")/lib.sh"

hv_scenario_files
ns=hvnetf$$
tap=hvtapf0
nic_id=77777777-2222-4333-8444-555555555502
mac=00:15:5d:77:01:02
host4=192.168.79.1 guest4=192.168.79.2
# KIND:what the guest logs for it (grep -E), "-" for nothing to log.
kinds="rndis-len:bad.RNDIS.message
ppi-offset:malformed.RNDIS.packet
xfer-range:outside.the.buffer
too-many-ranges:bad.receive.packet
section:receive.packet.names.send.section
nvsp-type:unexpected.NVSP.message
unsolicited:unknown.completion.id
tx-table-v6:-"
# shellcheck disable=SC2064
trap "ip netns del $ns 2>/dev/null; hv_scratch_remove" EXIT

hv_netns $ns $tap $host4/24 ||
	{ echo "FAIL: $KVER: netvsc-faults: host: cannot create network namespace"; exit 0; }

hv_vars mac host4 guest4 kinds > "$guest"
cat >> "$guest" <<'GUEST'
nic_gone() { ! iface_of $mac > /dev/null; }
nic_up() {
	dev=$(iface_of $mac) || return 1
	ip addr add $guest4/24 dev $dev
	ip link set $dev up
}

tx_packets() { ethtool -S $dev | awk -v q="tx_queue_$1_packets:" '$1 == q {print $2}'; }
# 16 TCP connection attempts (a SYN each, a new hash each) to a closed
# port: all of them must leave by queue 1, as every table entry says.
flows_on_queue_1() {
	local q0 q1 p
	q0=$(tx_packets 0) q1=$(tx_packets 1)
	for p in $(seq 6000 6015); do nc -w 1 $host4 $p < /dev/null 2> /dev/null; done
	q0=$(($(tx_packets 0) - q0)) q1=$(($(tx_packets 1) - q1))
	echo "queue 0 sent $q0, queue 1 sent $q1"
	[ $q0 -le 1 ] && [ $q1 -ge 16 ]
}

load_vmbus_drivers
check "the NIC appears" wait_until 30 iface_of $mac
nic_up
check "ping before any fault" wait_until 20 ping -c 1 -W 1 $host4
for k in $kinds; do
	kind=${k%%:*} pattern=${k#*:}
	before=$(dmesg | wc -l)
	sync_host "fault-$kind" 4
	if [ "$pattern" != - ]; then
		check "$kind: the driver logs it" sh -c \
			"dmesg | tail -n +$((before + 1)) | grep -qE '$pattern'"
	fi
	check "$kind: traffic flows afterwards" wait_until 20 ping -c 1 -W 1 $host4
	case $kind in
	section)
		check "section: counted in ethtool -S" sh -c \
			"ethtool -S $dev | awk '/bad_section/ {n += \$2} END {exit !(n > 0)}'" ;;
	tx-table-v6)
		check "tx-table-v6: 16 flows leave by the queue the table names" \
			flows_on_queue_1 ;;
	esac
done
# A host that keeps no inbound room for its completions: the ring fills
# with receive packets; the guest must read on while its own completions
# wait for room (a guest that stopped reading would deadlock with it).
sync_host ring-fill 2
check "ring-fill: iperf3 from the host, no ring room kept back" \
	timeout 120 sh -c "iperf3 -c $host4 -R -t 5 -f m > /tmp/iperf 2>&1"
grep -E "receiver" /tmp/iperf
echo "ring-fill: $(ethtool -S $dev | awk '/comp_deferred/ {n += $2} END {print n + 0}') receive completions waited for ring room"
check "ring-fill: traffic flows afterwards" wait_until 20 ping -c 1 -W 1 $host4
sync_host ring-fill-done 1
iperf3 -c $host4 -t 30 > /tmp/iperf 2>&1 &
iperf=$!
sync_host rescind 0
check "the NIC leaves on rescind during iperf3" wait_until 30 nic_gone
check "iperf3 was still sending when the NIC left" kill -0 $iperf
check "no kernel warning after the rescind" sh -c \
	"! dmesg | grep -qE 'WARNING:|BUG:|Oops|hung task'"
kill $iperf
wait $iperf
grep -E "sec.*bits/sec" /tmp/iperf | head -n 3
sync_host "reoffer" 1
check "the NIC comes back when offered again" wait_until 30 iface_of $mac
nic_up
check "the new interface passes traffic" wait_until 20 ping -c 1 -W 1 $host4
i=0
while [ $i -lt 20 ]; do
	rmmod hv_netvsc && modprobe hv_netvsc && wait_until 20 iface_of $mac ||
		break
	i=$((i + 1))
done
check "20 rmmod/modprobe cycles" [ $i = 20 ]
nic_up
check "traffic after the cycles" wait_until 20 ping -c 1 -W 1 $host4
rmmod hv_netvsc
sync_host unloaded 2
GUEST

hv_vars ns nic_id guest4 kinds > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
# Without the boot lock's descriptor (fd 3..9), so that it never holds it.
ip netns exec "$ns" iperf3 -s -p 5201 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- \
	> /dev/null 2>&1 &
for k in $kinds; do
	kind=${k%%:*}
	hv_marker "fault-$kind" 240 || exit
	check "fault netvsc $kind accepted" hv_ctl fault netvsc $kind 1
	# A frame toward the guest for the receive-packet kinds to spoil.
	ip netns exec "$ns" busybox ping -c 2 -W 1 $guest4 > /dev/null
done
hv_marker ring-fill 120 || exit
check "fault netvsc ring-fill accepted" hv_ctl fault netvsc ring-fill 1000000
hv_marker ring-fill-done 180 || exit
hv_ctl fault netvsc ring-fill 1 > /dev/null	# the end of it
hv_marker rescind 120 || exit
sleep 3	# iperf3 under way
check "rescind accepted" hv_ctl rescind $nic_id
hv_marker reoffer 120 || exit
t0=$(date +%s)
hv_offer_again 30 nic $nic_id > /dev/null
rc=$?
check "the same NIC offered again once the guest released it ($(($(date +%s) - t0)) s)" [ $rc = 0 ]
hv_marker unloaded 300 || exit
check_eq "no GPADL left once hv_netvsc is gone" "total=0" \
	"$(hv_ctl gpadls | grep '^total=')"
check "the NIC's session ended with the channel" sh -c \
	"$HV_HVHOST ctl $HV_CTL list | grep -q 'nic $nic_id tap=.* nvsp=0x0 rndis=uninitialized'"
HOST
hv_boot netvsc-faults --guest "$guest" --host "$host" --timeout 400 \
	--netns $ns -- --nic="$nic_id,tap=$tap,mac=$mac,nvsp=6" > /dev/null
hv_report netvsc-faults
