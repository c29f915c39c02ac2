#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one QEMU (TCG) guest under the emulated Hyper-V host. See --help.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<USAGE
usage: hv-boot.sh [options] [-- hvhost-options...]

Starts tools/hv/hvhost, then a QEMU TCG guest running Debian's stock kernel
with this tree's modules, waits for the guest to power off, stops hvhost.

  --kver 6.12|6.1     kernel (default 6.12)
  --initrd FILE       base initramfs (default: built into the run folder)
  --kernel FILE       kernel image (default: Debian's of --kver, from the
                      cache); with a guest whose root is on a disk, its own
  --serial-stdio      the guest's serial console on this terminal (a
                      person logs in), instead of RUN/console.log
  --guest FILE        scenario run in the guest as /scenario.sh
  --host FILE         host-side script run while the guest runs, with
                      HV_CTL (control socket), HV_CONSOLE (console log),
                      HV_RUN (run folder), HV_HVHOST (hvhost binary),
                      HV_QEMU_PID and HV_HVHOST_PID set
  --smp N             vCPUs (default 2)
  --mem SIZE          guest RAM (default 512M)
  --vectors N         MSI-X vectors of the ivshmem device (default 4)
  --timeout SEC       kill the guest after SEC seconds (default 300),
                      times HV_TIME_SCALE (default 1: a slow debug kernel
                      sets more; the guest's waits scale with it)
  --run DIR           run folder for logs and sockets (default: a new one
                      under out/runs)
  --append ARGS       extra kernel command-line arguments
  --qemu ARGS         extra QEMU arguments
  --console           also copy the guest console to stdout
  --netns NAME        run hvhost in network namespace NAME (its TAPs
                      live there; made and deleted by the caller)

Exit status: 0 when the guest printed "HV-GUEST: done", 1 otherwise.
Logs: RUN/console.log, RUN/hvhost.log, RUN/host-script.log.
USAGE
}

die() { echo "hv-boot: $*" >&2; exit 2; }

kver=6.12 initrd="" guest="" host="" smp=2 mem=512M vectors=4 timeout=300
run="" append="" qemu_extra="" console=0 netns="" kernel="" serial_stdio=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kver) kver=$2; shift ;;
	--initrd) initrd=$2; shift ;;
	--kernel) kernel=$2; shift ;;
	--serial-stdio) serial_stdio=1 ;;
	--guest) guest=$2; shift ;;
	--host) host=$2; shift ;;
	--smp) smp=$2; shift ;;
	--mem) mem=$2; shift ;;
	--vectors) vectors=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--run) run=$2; shift ;;
	--append) append=$2; shift ;;
	--qemu) qemu_extra=$2; shift ;;
	--console) console=1 ;;
	--netns) netns=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; die "unknown option '$1'" ;;
	esac
	shift
done

[[ "$smp" =~ ^[1-9][0-9]*$ ]] || die "--smp needs a positive number"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number"
scale=${HV_TIME_SCALE:-1}
[[ "$scale" =~ ^[1-9][0-9]*$ ]] || die "HV_TIME_SCALE needs a positive number"
timeout=$((timeout * scale))
[[ "$mem" =~ ^[1-9][0-9]*[MG]$ ]] || die "--mem needs a size like 512M or 1G"
[ -z "$guest" ] || [ -f "$guest" ] || die "guest scenario '$guest' not found"
[ -z "$host" ] || [ -f "$host" ] || die "host script '$host' not found"
[ -z "$kernel" ] || [ -f "$kernel" ] || die "kernel image '$kernel' not found"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found (run scripts/hv-deps.sh)"
hvhost=$top/tools/hv/hvhost/hvhost
[ -x "$hvhost" ] || die "$hvhost not built (make hvhost)"

kroot=$("$top/scripts/hv-kernel.sh" "$kver")
rel=$(cat "$kroot/release")
# A KASAN kernel under TCG's 5-level paging (-cpu max has LA57) met an
# interrupt during early CPU set-up with the direct map outside KASAN's
# shadow, a false "wild-memory-access" before any module of ours: the
# debug kernel runs with 4-level paging.
if grep -qx 'CONFIG_KASAN=y' "$kroot/boot/config-$rel" 2>/dev/null; then
	append="no5lvl $append"
fi
[ -n "$kernel" ] || kernel=$kroot/boot/vmlinuz-$rel

if [ -z "$run" ]; then
	mkdir -p "$top/out/runs"
	run=$(mktemp -d "$top/out/runs/boot.XXXXXX")
fi
mkdir -p "$run"
run=$(cd "$run" && pwd)

if [ -z "$initrd" ]; then
	initrd=$run/base.cpio.gz
	"$top/scripts/hv-initramfs.sh" "$kver" "$initrd"
fi

# The scenario rides in a second cpio archive appended to the base one.
initrd_all=$run/initrd.img
cp "$initrd" "$initrd_all"
if [ -n "$guest" ]; then
	mkdir -p "$run/scenario"
	cp "$guest" "$run/scenario/scenario.sh"
	cp "$top/tools/testing/hv/boot/guest-lib.sh" "$run/scenario/"
	(cd "$run/scenario" && printf '%s\n' scenario.sh guest-lib.sh |
		cpio -o -H newc --quiet) |
		gzip -1 >> "$initrd_all"
fi

# Sockets live in a short path: UNIX socket names are limited to 107 bytes.
sockdir=$(mktemp -d /tmp/hvboot.XXXXXX)
sock=$sockdir/ivsh.sock
ctl=$sockdir/ctl.sock
ramfile=/dev/shm/hvboot-ram.$$.$RANDOM
ln -sfn "$ctl" "$run/ctl.sock"

hvhost_pid="" qemu_pid="" host_pid=""
cleanup() {
	[ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null
	[ -n "$qemu_pid" ] && kill -9 "$qemu_pid" 2>/dev/null
	if [ -n "$hvhost_pid" ] && kill -0 "$hvhost_pid" 2>/dev/null; then
		kill "$hvhost_pid" 2>/dev/null
		sleep 0.5
		kill -9 "$hvhost_pid" 2>/dev/null
	fi
	rm -rf "$sockdir" "$ramfile"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_netns=()
[ -z "$netns" ] || in_netns=(ip netns exec "$netns")
"${in_netns[@]}" "$hvhost" --socket "$sock" --control "$ctl" \
	--mem "$ramfile" --mem-size "$mem" --vectors "$vectors" "$@" \
	> "$run/hvhost.log" 2>&1 &
hvhost_pid=$!

for _ in $(seq 100); do
	[ -S "$sock" ] && [ -S "$ctl" ] && break
	kill -0 "$hvhost_pid" 2>/dev/null ||
		{ cat "$run/hvhost.log" >&2; die "hvhost exited at start-up"; }
	sleep 0.1
done
[ -S "$sock" ] || die "hvhost did not create $sock"

: > "$run/console.log"
serial=(-serial file:"$run/console.log")
if [ "$serial_stdio" = 1 ]; then
	# The console on this terminal (a background job's stdin would be
	# /dev/null: fd 3 keeps the terminal) and in the log.
	serial=(-chardev stdio,id=con,signal=off,logfile="$run/console.log"
		-serial chardev:con)
	exec 3<&0 4>&1
else
	exec 3</dev/null 4>"$run/qemu.log"
fi
# The guest's own watchdog (init) reports what it is stuck on a while
# before the host gives up on it.
watchdog=$((timeout * 4 / 5))
# TCG translates a guest that can never have a second vCPU without its
# atomics and memory barriers (they cannot matter to one vCPU), but
# hvhost, another process, shares guest memory: a guest xchg() of an event
# flag word then overwrote a flag hvhost set meanwhile, and the channel's
# signal was lost for good (1-vCPU boots hung). A second possible vCPU
# keeps the guest's atomics atomic; the guest boots with $smp online.
qemu-system-x86_64 -accel tcg -cpu max -smp "$smp,maxcpus=$((smp > 1 ? smp : 2))" -m "$mem" \
	-machine pc,memory-backend=ram0 \
	-object memory-backend-file,id=ram0,size="$mem",mem-path="$ramfile",share=on \
	-chardev socket,path="$sock",id=ivsh \
	-device ivshmem-doorbell,chardev=ivsh,vectors="$vectors" \
	-kernel "$kernel" -initrd "$initrd_all" \
	-append "console=ttyS0 loglevel=5 panic=-1 hv.watchdog=$watchdog hv.timescale=$scale hv.lean=${HV_LEAN:-0} hv.teardown=${HV_TEARDOWN:-0} $append" \
	-display none -monitor none "${serial[@]}" \
	-no-reboot $qemu_extra <&3 >&4 2>>"$run/qemu.log" &
qemu_pid=$!

if [ -n "$host" ]; then
	HV_CTL=$ctl HV_CONSOLE=$run/console.log HV_RUN=$run HV_HVHOST=$hvhost \
		HV_QEMU_PID=$qemu_pid HV_HVHOST_PID=$hvhost_pid bash "$host" > "$run/host-script.log" 2>&1 &
	host_pid=$!
fi

if [ "$console" = 1 ]; then
	tail -n +1 -f "$run/console.log" --pid "$qemu_pid" &
fi

# The debug tier's teardown (init, guest-lib.sh): on the guest's marker,
# hvhost rescinds every device it still offers.
rescind_all() {
	local inst
	for inst in $("$hvhost" ctl "$ctl" list |
		      awk '!/ sub=/ && !/ state=rescinded/ {
			sub(/.*instance=/, ""); sub(/ .*/, ""); print }'); do
		"$hvhost" ctl "$ctl" rescind "$inst" >> "$run/hvhost.log" 2>&1 || true
	done
}
teardown=${HV_TEARDOWN:-0}

# A host script that gave up (a non-zero exit: a marker never came) has
# failed the scenario already; the guest then gets a grace of 60 s (times
# the scale) to finish, not the whole timeout: a guest stuck on a host
# that is gone would only burn the tier's time.
deadline=$((SECONDS + timeout)) why="after ${timeout}s"
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ -n "$host_pid" ] && ! kill -0 "$host_pid" 2>/dev/null; then
		host_status=0
		wait "$host_pid" 2>/dev/null || host_status=$?
		host_pid=""
		if [ "$host_status" != 0 ] &&
		   [ $((SECONDS + 60 * scale)) -lt $deadline ]; then
			deadline=$((SECONDS + 60 * scale))
			why="$((60 * scale))s after the host script gave up (exit $host_status)"
		fi
	fi
	if [ "$teardown" = 1 ] &&
	   grep -aq '^HV-SYNC: teardown-rescind' "$run/console.log"; then
		rescind_all
		teardown=0
	fi
	if [ $SECONDS -ge $deadline ]; then
		echo "hv-boot: guest timed out $why" >> "$run/console.log"
		"$hvhost" ctl "$ctl" stats > "$run/hvhost-stats.txt" 2>&1
		kill -9 "$qemu_pid" 2>/dev/null
		break
	fi
	sleep 0.5
done
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=""

if [ -n "$host_pid" ]; then
	for _ in $(seq 40); do
		kill -0 "$host_pid" 2>/dev/null || break
		sleep 0.5
	done
	kill "$host_pid" 2>/dev/null || true
	wait "$host_pid" 2>/dev/null || true
	host_pid=""
fi

# hvhost leaves by itself when QEMU disconnects.
for _ in $(seq 50); do
	kill -0 "$hvhost_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$hvhost_pid" 2>/dev/null; then
	echo "hv-boot: hvhost did not exit after the guest" >> "$run/hvhost.log"
fi

grep -q '^HV-GUEST: done' "$run/console.log"
