# SPDX-License-Identifier: GPL-2.0
#
# hv_netvsc smoke test: probe against hvhost's NetVSP on a TAP whose host
# end lives in a network namespace of its own, addresses, pings both ways.
. "$(dirname "$0")/lib.sh"

hv_scenario_files
ns=hvng$$
tap=hvngt$$
ip netns add $ns || exit 1
ip tuntap add dev $tap mode tap vnet_hdr || { ip netns del $ns; exit 1; }
# Whatever still runs in the namespace (the host script's web server) is
# ours: it ends before the namespace goes.
cleanup() {
	local p
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p"; done
	ip link del "$tap" 2>/dev/null
	ip netns del "$ns"
	hv_scratch_remove
}
trap cleanup EXIT
mac=00:15:5d:11:22:33

hv_vars mac > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
nic_if() { ls /sys/bus/vmbus/drivers/hv_netvsc/*/net/ 2>/dev/null | head -n 1; }
check "a hv_netvsc interface appears" wait_until 20 sh -c "nic_if() { ls /sys/bus/vmbus/drivers/hv_netvsc/*/net/ 2>/dev/null | grep -q .; }; nic_if"
ifc=$(nic_if)
echo "interface: $ifc"
check "it has the MAC the host offered" [ "$(cat /sys/class/net/$ifc/address)" = "$mac" ]
ip addr add 10.99.0.2/24 dev $ifc
ip link set $ifc up
dmesg | grep -i netvsc
sync_host net-up 3
check "carrier is up" [ "$(cat /sys/class/net/$ifc/carrier)" = 1 ]
check "ping the host" ping -c 3 -W 2 10.99.0.1
for s in 1 100 1000 1472; do
	check "ping size $s" ping -c 2 -W 2 -s $s 10.99.0.1
done
sync_host guest-pinged 8
# The host pulls the cable and plugs it back (INDICATE_STATUS).
carrier_is() { [ "$(cat /sys/class/net/$ifc/carrier 2>/dev/null)" = "$1" ]; }
sync_host link-down 0
check "carrier off after nic link down" wait_until 3 carrier_is 0
sync_host link-up 0
check "carrier on after nic link up" wait_until 3 carrier_is 1
check "ping after link up" wait_until 10 ping -c 1 -W 1 10.99.0.1
# Data both ways over TCP (busybox nc), checked by sha256.
head -c 16777216 /dev/urandom > /tmp/r
sha256sum < /tmp/r | cut -d' ' -f1 > /tmp/r.sum
echo "guest sum: $(cat /tmp/r.sum)"
mkdir -p /tmp/www && mv /tmp/r /tmp/www/r
httpd -p 8080 -h /tmp/www
sync_host serving 1
check "the host serves the file back" wait_until 200 wget -q -O /dev/null http://10.99.0.1:8080/ready
t0=$(date +%s)
check "16 MiB host -> guest over TCP (wget)" wget -q -O /tmp/in http://10.99.0.1:8080/r
echo "host->guest took $(($(date +%s) - t0)) s"
check "16 MiB host -> guest arrives intact" [ "$(sha256sum < /tmp/in | cut -d' ' -f1)" = "$(cat /tmp/r.sum)" ]
rm -f /tmp/in
sync_host fetched 20
# Jumbo frames: the MTU change re-initialises the device.
check "MTU 9000" ip link set $ifc mtu 9000
check "carrier after the MTU change" wait_until 10 [ "$(cat /sys/class/net/$ifc/carrier)" = 1 ]
sync_host mtu-9000 3
check "jumbo ping 8972" ping -c 2 -W 3 -s 8972 10.99.0.1
check "MTU back to 1500" ip link set $ifc mtu 1500
sync_host mtu-1500 3
check "ping after MTU 1500" ping -c 2 -W 3 10.99.0.1
check "MAC change" ip link set $ifc address 00:15:5d:aa:bb:cc
check "ping after MAC change" ping -c 2 -W 3 10.99.0.1
ip link show $ifc
# ethtool: what the host granted, offloads, per-queue counters, -L.
ethtool -i $ifc
check "ethtool -i names hv_netvsc" sh -c "ethtool -i $ifc | grep -q 'driver: hv_netvsc'"
ethtool -l $ifc
check "ethtool -l: 2 combined channels (2 vCPUs)" sh -c "ethtool -l $ifc | tail -n 5 | grep -q 'Combined:.*2'"
ethtool -k $ifc | grep -E "checksumming|segmentation|generic-receive"
check "ethtool -k: TX checksum on" sh -c "ethtool -k $ifc | grep -q 'tx-checksumming: on'"
check "ethtool -k: TSO on" sh -c "ethtool -k $ifc | grep -q 'tcp-segmentation-offload: on'"
ethtool -S $ifc
check "ethtool -S: queue 0 received" sh -c "ethtool -S $ifc | grep -q 'rx_queue_0_packets: [1-9]'"
check "ethtool -x shows the indirection table" sh -c "ethtool -x $ifc | grep -q 'RX flow hash indirection table'"
check "ethtool -L combined 1" ethtool -L $ifc combined 1
check "ping on one channel" ping -c 2 -W 3 10.99.0.1
check "ethtool -L combined 2" ethtool -L $ifc combined 2
check "ethtool -l: 2 again" sh -c "ethtool -l $ifc | tail -n 5 | grep -q 'Combined:.*2'"
check "ping on two channels" ping -c 2 -W 3 10.99.0.1
i=0
while [ $i -lt 5 ]; do
	rmmod hv_netvsc || break
	modprobe hv_netvsc || break
	i=$((i + 1))
done
check "5 rmmod/modprobe cycles" [ $i = 5 ]
check "the interface is back" wait_until 20 sh -c "ls /sys/bus/vmbus/drivers/hv_netvsc/*/net/ 2>/dev/null | grep -q ."
rmmod hv_netvsc
check "hv_netvsc unloads" sh -c "! grep -q hv_netvsc /proc/modules"
GUEST

nic=f8615163-0000-4000-8000-000000000001
hv_vars ns tap nic > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
sleep 3
ip link set $tap netns $ns
ip -n $ns addr add 10.99.0.1/24 dev $tap
ip -n $ns link set $tap up
ip -n $ns link set lo up
hv_marker net-up 200 || exit
sleep 1
hv_marker guest-pinged 200 || exit
check "the host pings the guest" ip netns exec $ns busybox ping -c 3 -W 2 10.99.0.2
check "big pings from the host" ip netns exec $ns busybox ping -c 3 -W 2 -s 1472 10.99.0.2
hv_marker link-down 120 || exit
hv_ctl nic link $nic down
hv_marker link-up 120 || exit
hv_ctl nic link $nic up
hv_marker serving 300 || exit
mkdir -p "$HV_RUN/www"
t0=$(date +%s)
check "16 MiB guest -> host over TCP (wget)" ip netns exec $ns busybox wget -q -O "$HV_RUN/www/r" http://10.99.0.2:8080/r
echo "guest->host took $(($(date +%s) - t0)) s"
ls -l "$HV_RUN/www/r"
sha256sum < "$HV_RUN/www/r"
echo ok > "$HV_RUN/www/ready"
# Without the boot lock's descriptor (fd 3..9), so that it never holds it.
ip netns exec $ns busybox httpd -f -p 8080 -h "$HV_RUN/www" \
	3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
pid=$!
hv_marker fetched 300
kill $pid
hv_marker mtu-9000 200 || exit
ip -n $ns link set $tap mtu 9000
hv_marker mtu-1500 200 || exit
ip -n $ns link set $tap mtu 1500
ip -n $ns -s link show $tap
hv_ctl stats | grep -i -E "nic" | head -60
HOST
hv_boot netvsc-guest --guest "$guest" --host "$host" --timeout 300 -- \
	--nic=tap=$tap,mac=$mac,mtu=9000 > /dev/null
hv_report netvsc-guest
