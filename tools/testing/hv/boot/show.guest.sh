# SPDX-License-Identifier: GPL-2.0
#
# make run: load the VMBus core, let modprobe find drivers by modalias and
# show what the bus found. Every line meant for the person's summary
# starts with "SHOW: " (scripts/hv-run.sh prints those); "checked: WHAT:
# ok|FAILED" lines say what was tried and how it went.
checked() {	# checked WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then echo "checked: $what: ok"; else echo "checked: $what: FAILED"; fi
}

ext4_round_trip() {
	modprobe ext4
	mkfs.ext4 -q "$1" && mount "$1" /mnt &&
		echo "hello from the guest" > /mnt/hello && sync &&
		[ "$(cat /mnt/hello)" = "hello from the guest" ] &&
		echo "ext4 on $1: wrote and read back '$(cat /mnt/hello)'"
	local rc=$?
	umount /mnt 2>/dev/null
	return $rc
}

dvd_read() {
	modprobe isofs
	mount -t iso9660 "$1" /mnt &&
		echo "DVD $1: $(ls /mnt): '$(cat /mnt/hello.txt)'" &&
		[ "$(cat /mnt/hello.txt)" = "hello from the host's ISO" ]
	local rc=$?
	umount /mnt 2>/dev/null
	return $rc
}

show() {
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
	echo "modules: $(lsmod | awk '/^hv_/ {print $1}' | sort | tr '\n' ' ')"
	for b in /sys/block/sd*; do
		[ -e "$b" ] || continue
		dev=/dev/$(basename "$b")
		echo "SCSI disk $dev: $(($(cat "$b/size") / 2048)) MiB, $(ls -d "$b"/mq/* | wc -l) hardware queue(s)"
		checked "ext4 on SCSI disk $dev" ext4_round_trip "$dev"
	done
	for b in /sys/block/hd*; do
		[ -e "$b" ] || continue
		dev=/dev/$(basename "$b")
		echo "IDE $(cat "$b/ide_location") $dev: $(($(cat "$b/size") / 2048)) MiB, blocks of $(cat "$b/queue/logical_block_size") bytes, ro=$(cat "$b/ro"), serial $(cat "$b/serial")"
		[ "$(cat "$b/removable")" = 1 ] || continue
		checked "ISO file on DVD $dev" dvd_read "$dev"
	done
	for d in "$VMBUS"/*; do
		echo_ready "$d" || continue
		echo "echo test device $(basename "$d"): 10000 packets, 1..4096 bytes:"
		checked "echo run" echo_run "$d" 10000 1 4096 mixed
	done
	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = hv_netvsc ] ||
			continue
		dev=${n##*/}
		ip addr add 192.168.78.2/24 dev "$dev" && ip link set "$dev" up
		wait_until 10 grep -qx 1 "$n/carrier"
		link=down
		grep -qx 1 "$n/carrier" && link=up
		echo "NIC $dev: MAC $(cat "$n/address"), link $link, MTU $(cat "$n/mtu")"
		checked "ping from NIC $dev to the host's TAP" \
			sh -c "ping -c 3 192.168.78.1 | tail -n 2"
	done
}

show 2>&1 | sed 's/^/SHOW: /'
