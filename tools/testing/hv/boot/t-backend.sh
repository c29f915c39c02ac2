# SPDX-License-Identifier: GPL-2.0
#
# The emulated-host backend is the module hv_vmbus_emu: hv_vmbus loads
# without it and leaves the bus empty, the ivshmem PCI alias loads it, and
# it binds hvhost's ivshmem-doorbell device only. Two ivshmem-plain
# devices nobody serves (one without the hvhost magic, one with a BAR2 too
# small for hvhost's layout) stay unbound and disabled, each named in one
# log line. Unloading the backend takes the bus down, loading it again
# brings it back.
. "$(dirname "$0")/lib.sh"

echo_id=66666666-2222-4333-8444-555555555501
hv_scenario_files

hv_vars echo_id > "$guest"
cat >> "$guest" <<'GUEST'
echo_id=$echo_id
GUEST
cat >> "$guest" <<'GUEST'
# The ivshmem PCI devices (1af4:1110), hvhost's and the plain ones.
ivshmem_devs() {
	local p
	for p in /sys/bus/pci/devices/*; do
		[ "$(cat "$p/vendor")" = 0x1af4 ] &&
			[ "$(cat "$p/device")" = 0x1110 ] && echo "$p"
	done
}
# How many of them have a driver, and how many are enabled.
nr_bound() { for p in $(ivshmem_devs); do [ -e "$p/driver" ] && echo "$p"; done | wc -l; }
nr_enabled() { for p in $(ivshmem_devs); do [ "$(cat "$p/enable")" != 0 ] && echo "$p"; done | wc -l; }
loaded() { grep -q "^$1 " /proc/modules; }
bus_empty() { [ -z "$(ls "$VMBUS")" ]; }
echo_ok() {
	local d
	d=$(echo_bound "$echo_id") || return 1
	[ "$(field verified "$(echo_run "$d" 100 1 1024 mixed)")" = 100 ]
}

check "three ivshmem devices in the guest (got $(ivshmem_devs | wc -l))" \
	[ "$(ivshmem_devs | wc -l)" = 3 ]
modprobe hv_vmbus
check "hv_vmbus loads without hv_vmbus_emu" sh -c 'grep -q "^hv_vmbus " /proc/modules && ! grep -q "^hv_vmbus_emu " /proc/modules'
check "without a backend the bus has no device" bus_empty
check "without a backend no ivshmem device is bound (got $(nr_bound))" [ "$(nr_bound)" = 0 ]
# What udev does for a PCI device: modprobe its modalias.
for p in $(ivshmem_devs); do modprobe "$(cat "$p/modalias")"; done
check "the ivshmem PCI alias loads hv_vmbus_emu" loaded hv_vmbus_emu
check "the bus comes up with the backend" wait_until 10 dev_present "$echo_id"
check "one ivshmem device bound (got $(nr_bound))" [ "$(nr_bound)" = 1 ]
# Of the three, only hvhost's ivshmem-doorbell has MSI-X.
check "hvhost's device is the bound one" sh -c "ls -d /sys/bus/pci/drivers/hv_vmbus_emu/0000:*/msi_irqs"
check "the plain devices are left disabled (enabled: $(nr_enabled))" [ "$(nr_enabled)" = 1 ]
for p in $(ivshmem_devs); do
	[ -e "$p/driver" ] && continue
	check "plain ivshmem ${p##*/} named in the log" \
		sh -c "dmesg | grep -q '${p##*/}: ivshmem device without the hvhost magic'"
done
check "echo runs over the emulated backend" echo_ok
rmmod hv_vmbus_emu
check "unloading the backend empties the bus" bus_empty
check "hv_vmbus stays loaded without its backend" loaded hv_vmbus
check "no ivshmem device bound after the unload (got $(nr_bound))" [ "$(nr_bound)" = 0 ]
modprobe hv_vmbus_emu
check "loading the backend again brings the bus back" wait_until 10 dev_present "$echo_id"
check "echo runs after the backend reload" echo_ok
check "the modules unload" vmbus_down hv_echo_test
GUEST

# ivshmem-plain devices of our own: RAM files nobody else opens.
plain="-object memory-backend-file,id=plain0,size=1M,share=on,mem-path=$hv_scratch/plain0"
plain+=" -device ivshmem-plain,memdev=plain0"
plain+=" -object memory-backend-file,id=plain1,size=32K,share=on,mem-path=$hv_scratch/plain1"
plain+=" -device ivshmem-plain,memdev=plain1"
hv_boot backend --guest "$guest" --timeout 150 --qemu "$plain" -- \
	--echo="$echo_id" > /dev/null
hv_report backend
