# SPDX-License-Identifier: GPL-2.0
#
# make run: load the VMBus core, let modprobe find drivers by modalias and
# show what the bus found.
modprobe hv_vmbus
echo "VMBus protocol version: $(vmbus_version)"
sleep 1
for d in "$VMBUS"/*; do
	modprobe -q "$(cat "$d/modalias")" 2>/dev/null
done
sleep 1
printf '%-38s %-38s %-5s %s\n' DEVICE CLASS RELID DRIVER
for d in "$VMBUS"/*; do
	drv=-
	[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
	printf '%-38s %-38s %-5s %s\n' "$(strip_braces < "$d/device_id")" \
		"$(strip_braces < "$d/class_id")" "$(cat "$d/id")" "$drv"
done
for d in "$VMBUS"/*; do
	[ -e "$d/run" ] || continue
	echo "echo test device $(basename "$d"): 10000 packets, 1..4096 bytes:"
	echo_run "$d" 10000 1 4096 mixed
done
