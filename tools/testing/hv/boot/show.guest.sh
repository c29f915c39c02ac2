# SPDX-License-Identifier: GPL-2.0
#
# make run: load the VMBus core, let modprobe find drivers by modalias and
# show what the bus found.
load_vmbus_drivers
echo "VMBus protocol version: $(vmbus_version)"
wait_until 20 sh -c "ls /sys/block | grep -q ^sd"
printf '%-38s %-38s %-5s %s\n' DEVICE CLASS RELID DRIVER
for d in "$VMBUS"/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	printf '%-38s %-38s %-5s %s\n' "$(strip_braces < "$d/device_id")" \
		"$(strip_braces < "$d/class_id")" "$(cat "$d/id")" "$drv"
done
for b in /sys/block/sd*; do
	[ -e "$b" ] || continue
	dev=/dev/$(basename "$b")
	echo "SCSI disk $dev: $(($(cat "$b/size") / 2048)) MiB, $(ls -d "$b"/mq/* | wc -l) hardware queue(s)"
	modprobe ext4
	mkfs.ext4 -q "$dev" && mount "$dev" /mnt &&
		echo "hello from the guest" > /mnt/hello && sync &&
		echo "ext4 on $dev: wrote and read back '$(cat /mnt/hello)'"
	umount /mnt 2>/dev/null
done
for d in "$VMBUS"/*; do
	echo_ready "$d" || continue
	echo "echo test device $(basename "$d"): 10000 packets, 1..4096 bytes:"
	echo_run "$d" 10000 1 4096 mixed
done
for n in /sys/class/net/*; do
	[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = hv_netvsc ] ||
		continue
	dev=${n##*/}
	ip addr add 192.168.78.2/24 dev "$dev" && ip link set "$dev" up
	wait_until 10 grep -qx 1 "$n/carrier"
	echo "NIC $dev: MAC $(cat "$n/address"), link $(cat "$n/operstate"), MTU $(cat "$n/mtu")"
	ping -c 3 192.168.78.1 | tail -n 2
done
