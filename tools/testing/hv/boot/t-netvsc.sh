# SPDX-License-Identifier: GPL-2.0
#
# The synthetic NIC end to end over hvhost's NetVSP and a TAP. All traffic
# stays in a network namespace made here and deleted on exit, even when
# the scenario fails: it holds the TAP (hvhost runs in it) and loopback,
# nothing else, and has no route out. Checks: the interface has the MAC
# hvhost offered; ping both ways over IPv4 and IPv6 across the sizes
# 1..1472 (their edges); jumbo pings at MTU 9000 and back to 1500; a MAC
# change seen by the host; a 64 MiB random file over TCP each way with
# the same sha256; the TCP stream to the guest came as RSC (LRO is on,
# hvhost counted coalesced segments, the guest's queues counted them)
# and, with `ethtool -K lro off`, a quarter of it again as segments cut
# by hvhost, intact too; link down/up from the control socket followed by
# carrier and operstate within a second of the host's command; the host
# counted checksum/LSO PPIs and frames both ways;
# iperf3 TCP each way with 1 and 4 streams (3 s each: a rate, and fewer
# retransmitted segments than 1% of the data), iperf3 UDP each way (under
# 5% lost, no UDP checksum errors at the receiver); no errors in
# `ip -s link` on either side; VLAN 5: tagged echo requests from a raw
# socket in the namespace reach the guest's vl5 (as VLAN PPIs, which
# hvhost counts) and come back tagged; received frames carried
# checksum PPIs (the TAP hands hvhost partial checksums); the packet
# filter: frames to a foreign MAC are dropped by hvhost unless the guest
# is promiscuous.
. "$(dirname "$0")/lib.sh"

hv_scenario_files
ns=hvnet$$
tap=hvtap0
nic_id=77777777-2222-4333-8444-555555555501
mac=00:15:5d:77:00:02
mac2=00:15:5d:77:00:99
host4=192.168.77.1 guest4=192.168.77.2
vlan_host4=192.168.78.1 vlan_guest4=192.168.78.2
host6=fd77::1 guest6=fd77::2
sizes="1 2 3 7 8 9 15 16 17 31 32 33 63 64 65 127 128 129 255 256 257 511 512 513 1000 1023 1024 1025 1400 1470 1471 1472"
mib=64 udp_rate=20M
# A lean run (the debug tier): the edges of the sizes, 16 MiB of data,
# and UDP at 2 Mbit/s (its guest takes 10 to 15 Mbit/s of TCP: at 20 it
# lost half the datagrams, an overloaded receiver, not a fault).
if [ "${HV_LEAN:-0}" = 1 ]; then
	sizes="1 8 9 63 64 65 1024 1472"
	mib=16 udp_rate=2M
fi
# shellcheck disable=SC2064
trap "ip netns del $ns 2>/dev/null; hv_scratch_remove" EXIT
HV_CHECK_PREFIX="$KVER: netvsc: host: "

hv_netns $ns $tap $host4/24 $host6/64 ||
	{ hv_fail "cannot create network namespace $ns"; exit 0; }
ip -n $ns link set $tap mtu 9000
check "the namespace holds only lo and the TAP" \
	[ "$(ip -n $ns -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$tap lo " ]
check "the namespace has no default route" \
	sh -c "! ip -n $ns route show default | grep -q . && ! ip -n $ns -6 route show default | grep -q ."
head -c ${mib}M /dev/urandom > "$hv_scratch/h2g"
unset HV_CHECK_PREFIX

hv_vars mac mac2 host4 guest4 host6 guest6 sizes mib udp_rate vlan_host4 vlan_guest4 > "$guest"
cat >> "$guest" <<'GUEST'

# The carrier of $dev is @1 (read anew at each call: for wait_until).
carrier_is() { [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" = "$1" ]; }
operstate_is() { [ "$(cat /sys/class/net/$dev/operstate)" = "$1" ]; }
# link_is CARRIER OPERSTATE: both read so.
link_is() { carrier_is $1 && operstate_is $2; }

pings() {	# pings DEST: every size of $sizes, one echo each
	local s bad=""
	for s in $sizes; do
		ping -c 1 -W 2 -s $s "$1" > /dev/null || bad="$bad $s"
	done
	[ -z "$bad" ] || { echo "no reply at sizes:$bad"; return 1; }
}

load_vmbus_drivers
check "the NIC appears with the MAC hvhost offered" wait_until 30 iface_of $mac
dev=$(iface_of $mac)
ip addr add $guest4/24 dev $dev
ip addr add $guest6/64 dev $dev nodad 2>/dev/null || ip addr add $guest6/64 dev $dev
ip link set $dev up
check "carrier on" wait_until 10 carrier_is 1
check "IPv4 ping to the host" wait_until 20 ping -c 1 -W 1 $host4
check "IPv4 pings to the host, sizes 1..1472" pings $host4
check "IPv6 ping to the host" wait_until 20 ping6 -c 1 -W 1 $host6
sync_host guest-up 1
GUEST
cat >> "$guest" <<'GUEST'
# Bulk data: a 64 MiB random file each way, nc over a fifo kept open.
mkfifo /tmp/hold
exec 3<>/tmp/hold
dd if=/dev/urandom of=/tmp/g2h bs=1M count=$mib 2> /dev/null
echo "HV-SHA g2h $(sha256sum < /tmp/g2h | cut -d' ' -f1) $(wc -c < /tmp/g2h)"
check "$mib MiB to the host over TCP" wait_until 30 nc $host4 5001 < /tmp/g2h
rm /tmp/g2h
nc -l -p 5002 < /tmp/hold > /tmp/h2g &
check "listening on port 5002" wait_until 20 tcp_listening 5002
sync_host guest-listening 1
check "$mib MiB from the host over TCP" wait_until 300 sh -c "! kill -0 $! 2>/dev/null"
echo "HV-SHA h2g $(sha256sum < /tmp/h2g | cut -d' ' -f1) $(wc -c < /tmp/h2g)"
rm /tmp/h2g
# The TAP hands hvhost TCP segments of up to 64 KiB: with LRO on they
# come as RSC (fragments of one segment), which the queues count.
rsc_count() { ethtool -S $dev | awk '/^ *rx_queue_[0-9]+_rsc:/ {n += $2} END {print n + 0}'; }
check "large-receive-offload on (the host offers RSC)" sh -c \
	"ethtool -k $dev | grep -q '^large-receive-offload: on'"
check "coalesced segments received ($(rsc_count))" [ "$(rsc_count)" -gt 0 ]
# With LRO off hvhost cuts them into frames of the MTU: the same data
# must arrive intact that way too.
check "LRO off" ethtool -K $dev lro off
check "large-receive-offload off" sh -c \
	"ethtool -k $dev | grep -q '^large-receive-offload: off'"
rsc=$(rsc_count)
nc -l -p 5002 < /tmp/hold > /tmp/h2g &
check "listening on port 5002 again" wait_until 20 tcp_listening 5002
sync_host guest-listening-nolro 1
check "$((mib / 4)) MiB from the host over TCP without LRO" wait_until 300 sh -c "! kill -0 $! 2>/dev/null"
echo "HV-SHA h2g-nolro $(sha256sum < /tmp/h2g | cut -d' ' -f1) $(wc -c < /tmp/h2g)"
rm /tmp/h2g
check_eq "no coalesced segments with LRO off" "$rsc" "$(rsc_count)"
check "LRO on again" ethtool -K $dev lro on

# 16 short TCP flows: RSS and the TX spread must use both channels.
i=0
while [ $i -lt 16 ]; do
	wait_until 10 sh -c "echo flow $i | nc $host4 5003" || break
	i=$((i + 1))
done
check "16 short TCP flows to the host" [ $i = 16 ]
sync_host flows-done 1

# Link down and up from the control socket. The guest polls carrier and
# operstate every 50 ms and says when both follow; the host times that
# from its command (the host script checks the delay).
sync_host link-down 0
check "carrier off and operstate down after nic link down" poll_until 20 5 link_is 0 down
echo "HV-SYNC: link-down-seen"
sync_host link-up 0
check "carrier on and operstate up after nic link up" poll_until 20 5 link_is 1 up
echo "HV-SYNC: link-up-seen"
check "IPv4 ping after link up" wait_until 20 ping -c 1 -W 1 $host4

# Jumbo frames, then back.
check "MTU 9000 accepted" ip link set $dev mtu 9000
check "carrier on at MTU 9000" wait_until 20 carrier_is 1
check "jumbo ping (8972 bytes) to the host" wait_until 20 ping -c 1 -W 2 -s 8972 $host4
sync_host jumbo 2
check "MTU 1500 again" ip link set $dev mtu 1500
check "ping at MTU 1500" wait_until 20 ping -c 1 -W 1 -s 1472 $host4

# A new MAC: the host must see frames from it.
ip link set $dev down
check "MAC change accepted" ip link set $dev address $mac2
ip link set $dev up
check "carrier on after the MAC change" wait_until 20 carrier_is 1
check "ping from the new MAC" wait_until 20 ping -c 1 -W 1 $host4
sync_host mac-changed 2

# iperf3 against the host's server: TCP each way, 1 and 4 streams.
# iperf_tcp STREAMS [-R]: prints the rate; fails on no data or on more
# retransmitted segments than 1% of what was sent.
iperf_tcp() {
	iperf3 -c $host4 -t 3 -P $1 $2 -f m > /tmp/iperf 2>&1 ||
		{ cat /tmp/iperf; return 1; }
	awk -v tag="HV-IPERF tcp $1 ${2:--}" '
	/sender/ && (!sum || $1 == "[SUM]") {
		sum = $1 == "[SUM]"
		for (i = 1; i <= NF; i++)
			if ($i == "Mbits/sec") { rate = $(i - 1); retr = $(i + 1) + 0 }
	}
	END {
		printf "%s %s Mbit/s %d retransmits\n", tag, rate, retr
		exit !(rate > 0 && retr * 1448 * 100 <= rate * 1e6 / 8 * 3)
	}' /tmp/iperf
}
# iperf_udp [-R]: 3 s at $udp_rate of 1400-byte datagrams; under 5% lost.
iperf_udp() {
	iperf3 -c $host4 -u -b $udp_rate -l 1400 -t 3 $1 -f m > /tmp/iperf 2>&1 ||
		{ cat /tmp/iperf; return 1; }
	awk -v tag="HV-IPERF udp ${1:--}" '
	/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) lt = $i }
	END {
		split(lt, n, "/")
		printf "%s %s datagrams lost\n", tag, lt
		exit !(n[2] > 0 && n[1] * 20 < n[2])
	}' /tmp/iperf
}
# InCsumErrors of TCP and UDP (/proc/net/snmp: a names line, a values line).
csum_errors() {
	awk '/^(Tcp|Udp):/ { if (!(seen[$1]++)) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c[$1] = i } else n += $c[$1] } END { print n + 0 }' /proc/net/snmp
}
errs=$(csum_errors)
check "iperf3 TCP to the host, 1 stream" iperf_tcp 1
check "iperf3 TCP to the host, 4 streams" iperf_tcp 4
check "iperf3 TCP from the host, 1 stream" iperf_tcp 1 -R
check "iperf3 TCP from the host, 4 streams" iperf_tcp 4 -R
check "iperf3 UDP to the host" iperf_udp
check "iperf3 UDP from the host" iperf_udp -R
check_eq "no TCP/UDP checksum errors in the guest" "$errs" "$(csum_errors)"
sync_host iperf-done 1

# VLAN 5: the host sends tagged echo requests from a raw socket (its
# kernel need not have 8021q); they come as VLAN PPIs to vl5, whose
# replies leave with one and reach the TAP tagged.
# A kernel without VLANs (the debug kernel) skips this.
if modprobe 8021q 2> /dev/null || [ -d /proc/net/vlan ]; then
check "a VLAN interface on the NIC" ip link add link $dev name vl5 type vlan id 5
ip addr add $vlan_guest4/24 dev vl5
ip link set vl5 up
# The host's side answers no ARP: its address is set by hand (busybox).
arp -i vl5 -s $vlan_host4 "$(ip neigh show | awk -v a=$host4 '$1 == a {print $5; exit}')"
vl5_rx=$(cat /sys/class/net/vl5/statistics/rx_packets)
sync_host vlan-up 14
check "vl5 received the host's tagged frames" \
	[ "$(cat /sys/class/net/vl5/statistics/rx_packets)" -ge $((vl5_rx + 5)) ]
ip link del vl5
else
	echo "SKIP: VLAN 5: this kernel has no 8021q"
	sync_host vlan-none 1
fi

# The packet filter: frames to another MAC reach the guest only while it
# is promiscuous (the host sends them and counts what hvhost filtered).
# Each step waits until the host says it is done (a connection to port
# 5009): a fixed pause lost the race to a busy host.
hold() {
	timeout $((120 * ${HV_TIME_SCALE:-1})) nc -l -p 5009 < /tmp/hold > /dev/null &
	wait_until 20 tcp_listening 5009
	echo "HV-SYNC: $1"
	wait $! || echo "the host did not answer after $1"
}
hold filter-normal
ip link set $dev promisc on
hold filter-promisc
ip link set $dev promisc off
hold filter-done
check "no RX/TX errors in ip -s link" sh -c "ip -s link show $dev | awk '/RX:|TX:/{getline; if (\$3 != 0) bad=1} END{exit bad}'"
GUEST

hv_vars ns tap nic_id mac mac2 host4 guest4 host6 guest6 sizes mib hv_scratch \
	vlan_host4 vlan_guest4 > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
# Nothing started here outlives the script (nor keeps the lock's fd).
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
trap 'exit 1' TERM
in_ns() { ip netns exec "$ns" "$@"; }	# busybox's ping: iputils is no dependency
# The host has busybox's ping (iputils is not a dependency).
pings() {
	local s bad=""
	for s in $sizes; do
		in_ns busybox ping -c 1 -W 2 -s $s "$1" > /dev/null || bad="$bad $s"
	done
	[ -z "$bad" ] || { echo "no reply at sizes:$bad"; return 1; }
}
# "SHA256 BYTES" of what the guest sent or received.
console_sha() { grep -a "^HV-SHA $1 " "$HV_CONSOLE" | tail -n 1 | cut -d' ' -f3,4 | tr -d '\r'; }
file_sha() { echo "$(sha256sum < "$1" | cut -d' ' -f1) $(wc -c < "$1")"; }
# stat_of NAME: the NIC's counter NAME in the last saved stats.
stat_of() { sed -n "s/^nic\.$nic_id\.$1=//p" "$hv_scratch/stats"; }
listed() { hv_ctl list | grep -q "nic $nic_id tap=$tap mac=$mac link=up"; }

hv_marker guest-up 240 || exit
check "the NIC is listed with its TAP" listed
check "IPv4 pings to the guest, sizes 1..1472" pings $guest4
check "IPv6 ping to the guest" in_ns busybox ping6 -c 1 -W 2 $guest6
check_eq "the guest's frames carry its MAC" "$mac" \
	"$(in_ns ip neigh show $guest4 | awk '{print $5}')"
mkfifo "$hv_scratch/hold"
exec 3<>"$hv_scratch/hold"
in_ns timeout 300 busybox nc -l -p 5001 < "$hv_scratch/hold" \
	> "$hv_scratch/g2h" &
rx=$!
wait $rx
check_eq "$mib MiB from the guest arrive intact" "$(console_sha g2h)" \
	"$(file_sha "$hv_scratch/g2h")"
check_eq "the guest sent $mib MiB" $((mib << 20)) "$(wc -c < "$hv_scratch/g2h")"
hv_marker guest-listening 120 || exit
check "$mib MiB sent to the guest" timeout 300 sh -c \
	"ip netns exec $ns busybox nc $guest4 5002 < $hv_scratch/h2g"
for _ in $(seq 100); do [ -n "$(console_sha h2g)" ] && break; sleep 0.5; done
check_eq "$mib MiB to the guest arrive intact" \
	"$(file_sha "$hv_scratch/h2g")" "$(console_sha h2g)"
hv_ctl stats > "$hv_scratch/stats"
check "hvhost sent coalesced segments as RSC ($(stat_of rx_rsc) in $(stat_of rx_rsc_frags) fragments)" \
	[ "$(stat_of rx_rsc)" -gt 0 ]
segs=$(stat_of rx_segments)
head -c $((mib / 4))M "$hv_scratch/h2g" > "$hv_scratch/h2g-nolro"
hv_marker guest-listening-nolro 120 || exit
check "$((mib / 4)) MiB sent to the guest without LRO" timeout 300 sh -c \
	"ip netns exec $ns busybox nc $guest4 5002 < $hv_scratch/h2g-nolro"
for _ in $(seq 100); do [ -n "$(console_sha h2g-nolro)" ] && break; sleep 0.5; done
check_eq "$((mib / 4)) MiB to the guest without LRO arrive intact" \
	"$(file_sha "$hv_scratch/h2g-nolro")" "$(console_sha h2g-nolro)"
hv_ctl stats > "$hv_scratch/stats"
check "hvhost cut segments into frames instead ($segs -> $(stat_of rx_segments))" \
	[ "$(stat_of rx_segments)" -gt "$segs" ]
hv_ctl stats > "$hv_scratch/stats"
check "the host counted TX checksum PPIs ($(stat_of tx_csum_ppi))" \
	[ "$(stat_of tx_csum_ppi)" -gt 0 ]
check "the host counted LSO PPIs in the bulk send ($(stat_of tx_lso_ppi))" \
	[ "$(stat_of tx_lso_ppi)" -gt 0 ]
check "no malformed guest packets" [ "$(stat_of tx_bad)" = 0 ]
check "no NIC protocol errors" [ "$(stat_of protocol_errors)" = 0 ]

for _ in $(seq 16); do
	in_ns timeout 30 busybox nc -l -p 5003 < "$hv_scratch/hold" > /dev/null
done
hv_marker flows-done 60
hv_ctl stats > "$hv_scratch/stats"
for k in 0 1; do
	check "channel $k carried frames to the guest ($(stat_of chan.$k.rx_frames))" \
		[ "$(stat_of chan.$k.rx_frames)" -gt 0 ]
	check "channel $k carried frames from the guest ($(stat_of chan.$k.tx_frames))" \
		[ "$(stat_of chan.$k.tx_frames)" -gt 0 ]
done
check "received frames carried hash PPIs ($(stat_of rx_hash_ppi))" \
	[ "$(stat_of rx_hash_ppi)" -gt 0 ]

# link_timed up|down: the link command, then the guest's report that
# carrier and operstate followed, timed on the host's clock (the console
# polled every 50 ms): within a second (times the scale).
link_timed() {
	local t0 ms limit=$((1000 * ${HV_TIME_SCALE:-1}))
	t0=$(date +%s%N)
	check "nic link $1 accepted" hv_ctl nic link $nic_id $1 || return
	hv_wait_console "^HV-SYNC: link-$1-seen" 10 20
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "the guest's carrier and operstate follow link $1 in ${ms} ms (at most $limit)" \
		[ "$ms" -le "$limit" ]
}
hv_marker link-down 120 || exit
link_timed down
hv_marker link-up 30 || exit
link_timed up
hv_marker jumbo 120 || exit
check "jumbo ping (8972 bytes) to the guest" in_ns busybox ping -c 1 -W 2 -s 8972 $guest4
hv_marker mac-changed 120 || exit
check_eq "frames now carry the new MAC" "$mac2" \
	"$(in_ns ip neigh show $guest4 | awk '{print $5}')"
csum_errors() {
	in_ns awk '/^(Tcp|Udp):/ { if (!(seen[$1]++)) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c[$1] = i } else n += $c[$1] } END { print n + 0 }' /proc/net/snmp
}
errs=$(csum_errors)
# Without the boot lock's descriptor (fd 3..9), so that it never holds it.
ip netns exec "$ns" iperf3 -s -p 5201 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- \
	> /dev/null 2>&1 &
hv_marker iperf-done 120
check_eq "no TCP/UDP checksum errors in the namespace" "$errs" "$(csum_errors)"
hv_wait_console "HV-SYNC: vlan-\(up\|none\)" 120 || { hv_fail "no vlan marker"; exit; }
vlan=0
grep -aq "HV-SYNC: vlan-up" "$HV_CONSOLE" && vlan=1
[ $vlan = 0 ] ||
check "tagged echo requests answered tagged over VLAN 5" in_ns python3 \
	"$HV_TOP/tools/testing/hv/boot/vlan-ping.py" $tap \
	"$(in_ns cat /sys/class/net/$tap/address)" $mac2 \
	$vlan_host4 $vlan_guest4 5
# Frames to a MAC that is not the guest's: 20 pings to an address the
# namespace believes lives there.
filtered() { hv_ctl stats | sed -n "s/^nic\.$nic_id\.rx_filtered=//p"; }
filter_of() { hv_ctl list | sed -n "s/^nic $nic_id .* filter=\(0x[0-9a-f]*\).*/\1/p"; }
foreign() {
	local before
	before=$(filtered)
	in_ns busybox ping -c 20 -i 0.1 -W 1 192.168.77.99 > /dev/null
	echo $(($(filtered) - before))
}
in_ns ip neigh replace 192.168.77.99 lladdr 00:15:5d:77:00:ee dev $tap nud permanent
# release: the guest may go on (see its hold).
release() {
	for _ in $(seq 50); do
		echo go | in_ns busybox nc $guest4 5009 2> /dev/null && return
		sleep 0.2
	done
	hv_fail "the guest did not wait on port 5009"
}
# filter_after VALUE: the NIC's filter once it reads VALUE, or after 5 s
# (the guest's SET may still be on its way).
filter_after() {
	for _ in $(seq 50); do
		[ "$(filter_of)" = "$1" ] && break
		sleep 0.1
	done
	filter_of
}
hv_marker filter-normal 120 || exit
check_eq "the guest's filter: directed, all-multicast, broadcast" 0xd "$(filter_after 0xd)"
n=$(foreign)
check "frames to another MAC filtered ($n of 20)" [ "$n" -ge 20 ]
release
hv_marker filter-promisc 120 || exit
check_eq "promiscuous adds PROMISCUOUS to the filter" 0x2d "$(filter_after 0x2d)"
# The counter is the NIC's: a stray frame of the namespace's own (seen
# once on the debug kernel) may be in it too.
n=$(foreign)
check "frames to another MAC pass while promiscuous ($n of 20 filtered)" [ "$n" -le 2 ]
release
hv_marker filter-done 120 || exit
check_eq "the filter without promiscuous again" 0xd "$(filter_after 0xd)"
hv_ctl stats > "$hv_scratch/stats"
[ $vlan = 0 ] ||
check "tagged frames reached the guest as VLAN PPIs ($(stat_of rx_vlan_ppi))" \
	[ "$(stat_of rx_vlan_ppi)" -gt 0 ]
check "received frames carried checksum PPIs ($(stat_of rx_csum_ppi))" \
	[ "$(stat_of rx_csum_ppi)" -gt 0 ]
release
check "no RX/TX errors on the TAP (ip -s link)" sh -c "ip -n $ns -s link show $tap | awk '/RX:|TX:/{getline; if (\$3 != 0) bad=1} END{exit bad}'"
HOST
hv_boot netvsc --guest "$guest" --host "$host" --timeout 600 --netns $ns \
	-- --nic="$nic_id,tap=$tap,mac=$mac,mtu=9000" > /dev/null
hv_report netvsc
