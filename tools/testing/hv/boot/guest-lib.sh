# SPDX-License-Identifier: GPL-2.0
#
# Sourced in the guest before the scenario (busybox sh). Everything the
# scenarios know about the guest drivers' sysfs interface is here.

ECHO_CLASS=6c1b6d0e-4e1a-4c8f-9a51-6876686f7374
SCSI_CLASS=ba6163d9-04a1-4d29-b605-72e2ffb1dc7f
IDE_CLASS=32412632-86cb-44a2-9b5c-50d1417354f5
NET_CLASS=f8615163-df3e-46c5-913f-f2d2f965ed0e
VMBUS=/sys/bus/vmbus/devices

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

# check NAME COMMAND...: PASS or FAIL by the command's status.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL: PASS if they are equal (as the host's).
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# Tell the host script something and give it time to act.
sync_host() {
	echo "HV-SYNC: $1"
	sleep "${2:-2}"
}

# poll_until HZ SECONDS COMMAND...: run the command HZ times a second (2
# to 1000) until it succeeds, for SECONDS times the host's time scale (a
# debug kernel is slower).
poll_until() {
	local limit=$(($2 * $1 * ${HV_TIME_SCALE:-1})) step
	step=$(printf '0.%03d' $((1000 / $1)))
	shift 2
	while [ $limit -gt 0 ]; do
		"$@" && return 0
		sleep "$step"
		limit=$((limit - 1))
	done
	return 1
}

# wait_until SECONDS COMMAND...: poll_until five times a second.
wait_until() { poll_until 5 "$@"; }

strip_braces() { tr -d '{}\n'; }

# The device folder of an instance GUID, or nothing.
dev_by_instance() {
	local d
	for d in "$VMBUS"/*; do
		[ -f "$d/device_id" ] || continue
		[ "$(strip_braces < "$d/device_id")" = "$1" ] && echo "$d" && return 0
	done
	return 1
}

dev_present() { dev_by_instance "$1" > /dev/null; }
dev_absent() { ! dev_by_instance "$1" > /dev/null; }

# The negotiated VMBus version, as "major.minor".
vmbus_version() {
	cat /sys/bus/vmbus/version 2>/dev/null ||
		dmesg | sed -n 's/.*[Vv]mbus version:\? *\([0-9]*\.[0-9]*\).*/\1/p' | tail -n 1
}

# The modalias a GUID gets: its 16 bytes in wire order, in hex.
guid_modalias() {
	local g
	g=$(echo "$1" | tr -d -)
	echo "vmbus:$(echo "$g" | sed 's/^\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\4\3\2\1\6\5\8\7/')"
}

# The debugfs folder of an echo device DEV (a folder in $VMBUS): its
# run, result and ring_size files.
echo_dbg() { echo "/sys/kernel/debug/hv_echo_test/${1##*/}"; }

# echo_ready DEV: the echo driver is bound to DEV and accepts runs.
echo_ready() { test -e "$(echo_dbg "$1")/run"; }

# The debugfs folder of a channel's counters (signals, events, ring_full,
# dropped), by relid.
chan_dbg() { echo "/sys/kernel/debug/hv_vmbus/channel/$1"; }

# echo_bound GUID: wait for the echo device, bind its driver through its
# modalias and print its folder once it accepts runs.
echo_bound() {
	local d
	wait_until 10 dev_present "$1" || return 1
	d=$(dev_by_instance "$1")
	modprobe "$(cat "$d/modalias")" || return 1
	wait_until 10 echo_ready "$d" || return 1
	echo "$d"
}

# echo_run DEV COUNT MIN MAX MODE: run the echo VSC and print its result
# line ("sent=.. verified=.. ...").
echo_run() {
	echo "$2 $3 $4 $5" > "$(echo_dbg "$1")/run" || return 1
	cat "$(echo_dbg "$1")/result"
}

# echo_latency DEVICE COUNT MIN MAX MODE: a run with one packet in flight,
# each round trip timed (result: lat_p50_ns, lat_p99_ns, lat_max_ns).
echo_latency() {
	echo "$2 $3 $4 $5" > "$(echo_dbg "$1")/latency" || return 1
	cat "$(echo_dbg "$1")/result"
}

# field NAME LINE: a key=value field of a result line.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# vmbus_up [hv_vmbus parameters]: load the VMBus core and its backend for
# hvhost (hv_vmbus_emu, which udev would load by the ivshmem device's PCI
# alias); returns once the host's offers are devices.
vmbus_up() {
	modprobe hv_vmbus "$@" && modprobe hv_vmbus_emu
}

# vmbus_down [MODULE...]: unload the modules named (the drivers on the
# bus), then the backend and the core.
vmbus_down() {
	rmmod "$@" hv_vmbus_emu hv_vmbus
}

# Load the drivers of every device on the bus through their modaliases.
load_vmbus_drivers() {
	local d
	vmbus_up
	wait_until 10 sh -c "ls $VMBUS | grep -q ."
	for d in "$VMBUS"/*; do
		modprobe -q "$(cat "$d/modalias")" 2>/dev/null
	done
	# What udev would load for the SCSI disks that show up.
	modprobe -q sd_mod 2>/dev/null
}

# sd_of GUID LUN: the /dev/sdX of a LUN of the SCSI controller GUID.
sd_of() {
	local d b
	d=$(dev_by_instance "$1") || return 1
	for b in "$d"/host*/target*/*:0:0:"$2"/block/*; do
		[ -e "$b" ] && echo "/dev/$(basename "$b")" && return 0
	done
	return 1
}

sd_present() { sd_of "$1" "$2" > /dev/null; }
sd_absent() { ! sd_of "$1" "$2" > /dev/null; }

# hd_of GUID: the /dev/hdX of the IDE device (hv_blkvsc) of GUID.
hd_of() {
	local d b
	d=$(dev_by_instance "$1") || return 1
	for b in "$d"/block/*; do
		[ -e "$b" ] && echo "/dev/$(basename "$b")" && return 0
	done
	return 1
}

hd_present() { hd_of "$1" > /dev/null; }
hd_absent() { ! hd_of "$1" > /dev/null; }

# The deterministic 1 MiB pattern the host compares against.
pattern_mib() { seq 1 200000 | head -c 1048576; }

# raw_patterns DEV: the pattern at 1 and 10 MiB of DEV, direct; checks
# that it reads back (the host then looks for it in the image).
raw_patterns() {
	pattern_mib > /tmp/pat
	dd if=/tmp/pat of="$1" bs=1M seek=1 oflag=direct conv=fsync 2>/dev/null
	dd if=/tmp/pat of="$1" bs=1M seek=10 oflag=direct conv=fsync 2>/dev/null
	check "raw pattern reads back" sh -c "dd if=$1 bs=1M skip=10 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
}

# lean N LEAN_N: N, or in a lean run (the debug tier) LEAN_N: fewer
# rounds and less data, the same paths.
lean() {
	if [ "$HV_LEAN" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# fio_verify DEV SIZE: random writes of 4k..1m at QD32 over SIZE (a lean
# run: 16M), verified with crc32c; two checks.
fio_verify() {
	local rc size
	size=$(lean "$2" 16M)
	fio --name=verify --filename="$1" --rw=randwrite --bsrange=4k-1m \
		--iodepth=32 --ioengine=libaio --direct=1 --size="$size" \
		--verify=crc32c --verify_fatal=1 --numjobs=1 --output=/tmp/fio.out
	rc=$?
	grep -E "err=|verify" /tmp/fio.out | head -n 5
	check "fio randwrite+verify crc32c QD32: no error (exit $rc)" [ $rc = 0 ]
	check "fio reports err=0" grep -q "err= 0" /tmp/fio.out
}

# tcp_listening PORT: a socket listens on that TCP port (state 0A in
# /proc/net/tcp or tcp6), so that a peer told to connect now is not
# refused by a listener that has not bound yet.
tcp_listening() {
	awk -v p="$(printf ':%04X' "$1")" \
		'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2> /dev/null
}

# iface_of MAC: the network interface with that address.
iface_of() {
	local i
	for i in /sys/class/net/*; do
		[ "$(cat "$i/address")" = "$1" ] && { echo "${i##*/}"; return 0; }
	done
	return 1
}

# teardown: the debug tier's end of every scenario (hv.teardown=1), run
# under KASAN, lockdep and kmemleak (init scans for leaks afterwards):
# every attribute of the bus's devices and channels reads, the channels
# move to CPU 0 so that CPU 1 can go offline and come back, each NIC's
# ethtool settings are read, changed and restored, every device unbinds
# from its driver and binds again, the host rescinds every device, and
# every module of ours unloads. With no device on the bus, only the
# attributes and the unload.
teardown() {
	local i
	grep -q '^hv_vmbus ' /proc/modules || return 0
	echo "HV-GUEST: teardown"
	teardown_read_attrs
	if ls "$VMBUS" | grep -q .; then
		teardown_cpu_offline
		for i in /sys/class/net/*; do
			[ "$(basename "$(readlink "$i/device/driver")")" = hv_netvsc ] &&
				teardown_nic "${i##*/}"
		done
		teardown_rebind
		teardown_rescind
	fi
	teardown_unload
}

# The readable attribute files of the bus, its devices (the SCSI hosts'
# included, not the kernel's own block, target, net and power files) and
# our debugfs; each must read, but for the ring files (in_*, out_*) of a
# channel that is not open, which must fail (there is no ring to show).
teardown_read_attrs() {
	local f n=0 bad="" state
	for f in $(find /sys/bus/vmbus/ -maxdepth 1 -type f -perm -400) \
		 $(for d in "$VMBUS"/*; do
			find "$(readlink -f "$d")" \( -name block -o -name 'target*' \
				-o -name net -o -name power \) -prune -o \
				-type f -perm -400 -print
		   done) \
		 $(find /sys/kernel/debug/hv_vmbus -type f -perm -400 2>/dev/null); do
		n=$((n + 1))
		state=open
		case "$f" in
		*/channels/*/in_* | */channels/*/out_*)
			state=$(cat "${f%/*}/state") ;;
		esac
		if [ "$state" = open ]; then
			cat "$f" > /dev/null 2>&1 || bad="$bad $f"
		else
			! cat "$f" > /dev/null 2>&1 || bad="$bad $f(read while $state)"
		fi
	done
	check "teardown: all $n attribute files of the bus, its devices and channels read${bad:+ (failed:$bad)}" \
		[ -z "$bad" -a "$n" -gt 0 ]
}

# Every channel on CPU 1 moves to CPU 0 (MODIFYCHANNEL); CPU 1 goes
# offline and online again, and the channels move back.
teardown_cpu_offline() {
	local online=/sys/devices/system/cpu/cpu1/online c moved="" ok=0
	[ -w $online ] || return 0
	for c in "$VMBUS"/*/channels/*; do
		[ "$(cat "$c/cpu")" = 1 ] || continue
		echo 0 > "$c/cpu" && moved="$moved $c"
	done
	echo 0 > $online && [ "$(cat $online)" = 0 ] &&
		echo 1 > $online && [ "$(cat $online)" = 1 ] && ok=1
	for c in $moved; do echo 1 > "$c/cpu" || ok=0; done
	check "teardown: CPU 1 goes offline and online once its $(echo $moved | wc -w) channels there moved" [ $ok = 1 ]
}

# teardown_nic IFACE: ethtool reads every setting; the channel count and
# the RSS indirection table change and change back.
teardown_nic() {
	local i=$1 opt bad="" cur
	for opt in "" -i -k -g -l -x -S; do
		ethtool $opt "$i" > /dev/null 2>&1 || bad="$bad ${opt:-link}"
	done
	check "teardown: $i: ethtool reads every setting${bad:+ (failed:$bad)}" [ -z "$bad" ]
	cur=$(ethtool -l "$i" | awk '/^Combined/ { v = $2 } END { print v }')
	if [ "${cur:-1}" -gt 1 ]; then
		ethtool -L "$i" combined 1 &&
			[ "$(ethtool -l "$i" | awk '/^Combined/ { v = $2 } END { print v }')" = 1 ] &&
			ethtool -L "$i" combined "$cur"
		check "teardown: $i: channels $cur -> 1 -> $cur (ethtool -L)" \
			[ "$(ethtool -l "$i" | awk '/^Combined/ { v = $2 } END { print v }')" = "$cur" ]
		check "teardown: $i: RSS table to queue 0 alone and back (ethtool -X)" \
			sh -c "ethtool -X $i equal 1 && ethtool -X $i default"
	fi
}

# Each device leaves its driver (after our disks' file systems are
# unmounted) and is bound to it again: the remove paths, a second probe.
teardown_rebind() {
	local d drv m n=0 bad="" unbound=""
	for m in $(awk '$1 ~ "^/dev/(sd|hd|sr)" { print $2 }' /proc/mounts); do
		umount "$m"
	done
	for d in "$VMBUS"/*; do
		[ -e "$d/driver" ] || continue
		drv=$(readlink -f "$d/driver")
		n=$((n + 1))
		if echo "${d##*/}" > "$drv/unbind" && [ ! -e "$d/driver" ]; then
			unbound="$unbound $drv/bind:${d##*/}"
		else
			bad="$bad ${d##*/}"
		fi
	done
	check "teardown: all $n devices unbind from their drivers${bad:+ (failed:$bad)}" [ -z "$bad" ]
	for d in $unbound; do
		echo "${d#*:}" > "${d%:*}" && [ -e "$VMBUS/${d#*:}/driver" ] ||
			bad="$bad ${d#*:}"
	done
	check "teardown: each of them binds to its driver again${bad:+ (failed:$bad)}" [ -z "$bad" ]
	sleep 2
}

# The host rescinds every device it offers (hv-boot.sh does, on the
# marker): each leaves the bus, the drivers' rescind paths.
teardown_rescind() {
	sync_host teardown-rescind 1
	check "teardown: every device leaves the bus once the host rescinds it" \
		wait_until 30 sh -c "! ls $VMBUS | grep -q ."
}

# Our modules unload, each once nothing uses it: the exit paths and the
# VMBus UNLOAD.
teardown_unload() {
	local round m left
	for round in 1 2 3 4 5 6 7 8; do
		left=$(awk '$1 ~ /^hv_/ { print $1 }' /proc/modules)
		[ -n "$left" ] || break
		for m in $(awk '$1 ~ /^hv_/ && $3 == 0 { print $1 }' /proc/modules); do
			rmmod "$m"
		done
	done
	left=$(awk '$1 ~ /^hv_/ { print $1 }' /proc/modules | xargs)
	check "teardown: every module of ours unloads${left:+ (left: $left)}" [ -z "$left" ]
}
