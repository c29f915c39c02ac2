# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# The distro tier's checks inside the Debian guest (sh). run.sh writes
# this file, after the values it needs (ROLE, MODS, ROOT_DEV,
# ROOT_DRIVER, DATA_UUID, GUEST4), into the image as /usr/local/lib/hv/scenario.sh;
# hv-scenario.service runs it once multi-user.target is reached. Every
# check prints PASS: or FAIL:; the last line before the power-off is
# "HV-GUEST: done".

# The console itself: the journal's copy would put a prefix before each
# line. The serial getty's login prompt would split a line: it is
# stopped, and the first line starts afresh.
exec > /dev/console 2>&1
systemctl stop serial-getty@ttyS0.service
echo

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }
# check NAME COMMAND...: the command's output is shown when it fails.
check() {
	name=$1
	shift
	if "$@" > /tmp/hv-check.out 2>&1; then
		pass "$name"
	else
		fail "$name: $(head -c 400 /tmp/hv-check.out | tr '\n' ' ')"
	fi
}
# wait_until SECONDS COMMAND...: until the command succeeds.
wait_until() {
	n=$(($1 * 2))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.5
		n=$((n - 1))
	done
	"$@"
}
is_empty() { [ -z "$1" ] || { echo "$1"; return 1; }; }

# Start-up: nothing queued but this scenario's own job (a oneshot ordered
# after multi-user.target, which keeps the system "starting" while it runs).
other_jobs() { systemctl list-jobs --no-legend | grep -v hv-scenario.service; }
no_other_jobs() { is_empty "$(other_jobs)"; }
check "no start-up job left" wait_until 300 no_other_jobs
# (systemd-analyze has no total before this job ends.)
usec=$(systemctl show -P ActiveEnterTimestampMonotonic multi-user.target)
echo "HV-GUEST: multi-user.target reached $((usec / 1000000)) s after the kernel started"
check "systemd reached multi-user.target" \
	[ "$(systemctl is-active multi-user.target)" = active ]
check "systemctl --failed lists nothing" \
	is_empty "$(systemctl --failed --no-legend --plain)"

# Our modules, loaded by udev from the devices' modaliases: this scenario
# loads nothing, and no modules-load.d file or /etc/modules names them.
rel=$(uname -r)
dkms_copy() {
	case "$(modinfo -n "$1")" in
	/lib/modules/$rel/updates/dkms/$1.ko*) ;;
	*) modinfo -n "$1"; return 1 ;;
	esac
}
same_srcversion() {
	[ "$(cat "/sys/module/$1/srcversion")" = "$(modinfo -F srcversion "$1")" ]
}
for m in $MODS; do
	check "lsmod shows $m" sh -c "lsmod | grep -q '^$m '"
	check "modinfo $m points at the DKMS copy" dkms_copy "$m"
	check "the loaded $m is the DKMS copy (srcversion)" same_srcversion "$m"
done
check "no modules-load.d file or /etc/modules names our drivers" sh -c \
	"! grep -rsqE 'hv_(vmbus|storvsc|blkvsc|netvsc|vstor)' /etc/modules /etc/modules-load.d /usr/lib/modules-load.d /run/modules-load.d"
unbound() {
	for d in /sys/bus/vmbus/devices/*; do
		[ -L "$d/driver" ] || echo "${d##*/} ($(cat "$d/modalias")) "
	done
}
check "every VMBus device is bound to a driver" is_empty "$(unbound)"
check "hvhost's ivshmem device is bound to hv_vmbus_emu" \
	sh -c "ls /sys/bus/pci/drivers/hv_vmbus_emu | grep -q '^0000:'"

# The drivers of a block device: each sysfs ancestor's.
block_drivers() {
	p=$(readlink -f "/sys/class/block/$1")
	while [ "$p" != /sys ] && [ -n "$p" ]; do
		[ -L "$p/driver" ] && basename "$(readlink "$p/driver")"
		p=${p%/*}
	done
}
disk=${ROOT_DEV#/dev/}
disk=${disk%1}
check "the root file system is $ROOT_DEV" \
	[ "$(findmnt -no SOURCE /)" = "$ROOT_DEV" ]
has_driver() { block_drivers "$1" | grep -qx "$2"; }
check "the root disk $disk is served by $ROOT_DRIVER" has_driver "$disk" "$ROOT_DRIVER"

# The NIC, configured by systemd-networkd.
nic() {
	for n in /sys/class/net/*; do
		[ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = hv_netvsc ] &&
			echo "${n##*/}"
	done
}
dev=$(nic | head -n 1)
check "a hv_netvsc interface exists ($dev)" [ -n "$dev" ]
# networkd's own state file of the link (networkctl needs D-Bus, which
# minbase lacks).
configured() {
	grep -qx ADMIN_STATE=configured \
		"/run/systemd/netif/links/$(cat "/sys/class/net/$dev/ifindex")"
}
check "systemd-networkd configured $dev" wait_until 60 configured
check "$dev has $GUEST4" sh -c "ip -4 -o addr show dev '$dev' | grep -q ' $GUEST4/'"
echo "HV-SYNC: net-ready"
fetched() { journalctl -b -q -u 'hv-get@*' | grep -q 'Deactivated successfully'; }
check "the host fetched the file back" wait_until 120 fetched
echo "HV-GUEST: xfer-sha256 $(sha256sum /var/lib/hv-xfer/file | cut -d' ' -f1)"

# The data disk and its mount unit.
unit=/etc/systemd/system/mnt-data.mount
if [ "$ROLE" = hotadd ]; then
	echo "HV-SYNC: hotadd"
	check "the hot-added disk appears as sdb" wait_until 60 [ -b /dev/sdb ]
	check "mkfs.ext4 on it" mkfs.ext4 -q -F -U "$DATA_UUID" /dev/sdb
	udevadm settle
	cat > "$unit" <<UNIT
[Unit]
Description=The distro tier's data disk

[Mount]
What=/dev/disk/by-uuid/$DATA_UUID
Where=/mnt/data
Type=ext4

[Install]
WantedBy=multi-user.target
UNIT
	systemctl daemon-reload
	check "the mount unit mounts it" systemctl enable --now mnt-data.mount
	head -c 4M /dev/urandom > /mnt/data/payload
	(cd /mnt/data && sha256sum payload) > /root/payload.sha256
	check "the payload is on the data disk" \
		sh -c "cd /mnt/data && sha256sum -c /root/payload.sha256"
else
	check "the mount unit mounted the data disk at boot" \
		[ "$(systemctl is-active mnt-data.mount)" = active ]
	check "the data disk kept its payload" \
		sh -c "cd /mnt/data && sha256sum -c /root/payload.sha256"
fi
sync

# Nothing from our modules at warning level or worse, but for the taint
# every out-of-tree, unsigned module causes once.
ours() {
	journalctl -b -p warning -o cat | grep -E 'hv_|vmbus' |
		grep -vE 'loading out-of-tree module taints kernel|module verification failed'
}
check "the journal holds no warning or error from our modules" is_empty "$(ours)"
echo "HV-GUEST: done"
# What systemctl poweroff does, without its failed attempt to reach
# logind over D-Bus, which minbase lacks.
systemctl start --no-block --job-mode=replace-irreversibly poweroff.target
