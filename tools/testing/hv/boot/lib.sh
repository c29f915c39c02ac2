# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the boot scenarios (sourced). A scenario is t-NAME.sh; it
# boots one or more guests with hv_boot and reports PASS:/FAIL: lines.
# Set by run.sh: KVER, HV_TOP, HV_INITRD, HV_RUNS.

# hv_scenario_files: a scratch folder for this scenario ($hv_scratch, on
# disk under HV_RUNS so that image files can be punched and measured),
# with the paths of its guest and host scripts in $guest and $host, and
# one in memory ($hv_shm, on /dev/shm's tmpfs) for images hvhost copies
# without io_uring; both removed when the scenario ends (a scenario that
# sets an EXIT trap of its own calls hv_scratch_remove from it).
hv_scenario_files() {
	hv_scratch=$(mktemp -d "$HV_RUNS/scratch.XXXXXX")
	hv_shm=$(mktemp -d /dev/shm/hvtest.XXXXXX)
	trap hv_scratch_remove EXIT
	guest=$hv_scratch/guest.sh
	host=$hv_scratch/host.sh
}

hv_scratch_remove() { rm -rf "$hv_scratch" "$hv_shm"; }

# hv_boot NAME [hv-boot.sh options] [-- hvhost options]
#
# A guest kernel that dies before /init runs, with none of our modules
# loaded, met a fault of QEMU's TCG (a stale translation of kernel text
# that the kernel was patching, about once in a few hundred boots): no
# test ran and nothing of ours was involved, so the boot is done again,
# once, and said so. Any other failure stands.
hv_boot() {
	local name=$1 rc
	shift
	HV_RUN=$HV_RUNS/$name
	rm -rf "$HV_RUN"
	mkdir -p "$HV_RUN"
	hv_boot_once "$@"
	rc=$?
	hv_died_before_init "$HV_RUN/console.log" || return $rc
	mv "$HV_RUN/console.log" "$HV_RUNS/$name.crash.log"
	echo "  | $KVER: $name: the guest kernel died before /init with none of our modules loaded (see $HV_RUNS/$name.crash.log): booting it again" >&2
	hv_boot_once "$@"
}

hv_boot_once() {
	"$HV_TOP/scripts/hv-boot.sh" --kver "$KVER" --initrd "$HV_INITRD" \
		--run "$HV_RUN" "$@"
}

# hv_died_before_init CONSOLE: the kernel oopsed or panicked before /init
# printed anything, and its module list was empty.
hv_died_before_init() {
	! grep -aq '^HV-GUEST: ' "$1" &&
		grep -aqE 'Oops|Kernel panic|BUG:' "$1" &&
		grep -aqE '\] Modules linked in:[[:space:]]*$' "$1" &&
		! grep -aqE 'Modules linked in:[[:space:]]*[^[:space:]]' "$1"
}

# Kernel trouble in a console log: any of these fails the scenario. What
# the guest's watchdog dumped on purpose (init) is not looked at, nor the
# coverage counters (base64, which may spell anything); the timeout that
# follows a watchdog dump is.
hv_kernel_trouble() {
	sed '/^HV-GUEST: watchdog begin/,/^HV-GUEST: watchdog end/d
	     /^HV-GUEST: gcov begin/,/^HV-GUEST: gcov end/d' "$1" |
		grep -aE 'WARNING:|BUG:|Oops|Call Trace|general protection|KASAN|UBSAN|kernel panic|Kernel panic|hv-boot: guest timed out|INFO: task .* blocked|soft lockup|rcu.*stall|detected stalls?|unreferenced object|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage' |
		head -n 5
}

# hv_evidence: for a boot that went wrong, the end of its console log and
# the host's ring state at the timeout, as "  | " lines, which the check
# summary shows (scripts/hv-check.sh) and the counts ignore.
hv_evidence() {
	{
		echo "console, last 100 lines:"
		tail -n 100 "$HV_RUN/console.log"
		if [ -f "$HV_RUN/hvhost-stats.txt" ]; then
			echo "hvhost stats at the timeout (channels):"
			grep -a '^chan\.' "$HV_RUN/hvhost-stats.txt"
		fi
		echo "hvhost log, last 20 lines:"
		tail -n 20 "$HV_RUN/hvhost.log"
	} | sed 's/^/  | /'
}

# hv_report NAME: the guest's PASS/FAIL lines, the host script's, and one
# line for the boot itself (reached the end, no kernel trouble).
hv_report() {
	local name=$1 console=$HV_RUN/console.log trouble
	# A check's line may follow a program's output that ended without a
	# newline (fio's progress): it counts from its PASS: or FAIL: on.
	grep -a -o '\(PASS\|FAIL\): .*' "$console" | sed "s/^\(PASS\|FAIL\): /\1: $KVER: $name: /"
	if [ -f "$HV_RUN/host-script.log" ]; then
		grep -a '^\(PASS\|FAIL\): ' "$HV_RUN/host-script.log" |
			sed "s/^\(PASS\|FAIL\): /\1: $KVER: $name: host: /"
	fi
	# A command the script does not have skips its check unseen.
	trouble=$(grep -ah 'scenario\.sh: line [0-9]*: .*: not found\|: line [0-9]*: .*: command not found' \
		"$console" "$HV_RUN/host-script.log" 2> /dev/null | head -n 1)
	[ -z "$trouble" ] ||
		echo "FAIL: $KVER: $name: a script ran a command it lacks: $trouble"
	trouble=$(hv_kernel_trouble "$console")
	if [ -n "$trouble" ]; then
		echo "FAIL: $KVER: $name: kernel log: $(echo "$trouble" | head -n 1)"
		hv_evidence
	elif ! grep -aq '^HV-GUEST: done' "$console"; then
		echo "FAIL: $KVER: $name: guest did not finish (see $console)"
		hv_evidence
	else
		echo "PASS: $KVER: $name: clean boot and shutdown"
	fi
}

# For host scripts: hv_wait_console PATTERN [SECONDS [HZ]]: wait until the
# console shows a line, up to SECONDS (default 120, times HV_TIME_SCALE),
# looking HZ times a second (default 5; 2 to 1000).
hv_wait_console() {
	local pattern=$1 limit=${2:-120} hz=${3:-5} i step
	step=$(printf '0.%03d' $((1000 / hz)))
	for ((i = 0; i < limit * hz * ${HV_TIME_SCALE:-1}; i++)); do
		grep -aq -- "$pattern" "$HV_CONSOLE" && return 0
		sleep "$step"
	done
	return 1
}

hv_ctl() {
	"$HV_HVHOST" ctl "$HV_CTL" "$@"
}

# hv_offer_again SECONDS CLASS GUID...: offer a device the host rescinded,
# as soon as it can: the host offers an instance again only once the
# guest released the old relids (its removal of the device), which may
# take a while (times the host's time scale). The offer's output is
# printed; non-zero if the guest never let go.
hv_offer_again() {
	local i out tries=$(($1 * 5 * ${HV_TIME_SCALE:-1}))
	shift
	for i in $(seq "$tries"); do
		out=$(hv_ctl offer "$@" 2>&1) && { echo "$out"; return 0; }
		sleep 0.2
	done
	echo "$out"
	return 1
}

# hv_vars NAME...: assignments of these variables of the scenario, to put
# before a guest or host script whose body is a quoted heredoc.
hv_vars() {
	local v q="'"
	for v in "$@"; do
		printf "%s='%s'\n" "$v" "${!v//$q/$q\\$q$q}"
	done
}

# Host-side checks (host scripts and the scenario itself): one PASS: or
# FAIL: line each. hv_report puts "$KVER: NAME: host: " before a host
# script's lines; the scenario sets HV_CHECK_PREFIX for its own.
hv_pass() { echo "PASS: ${HV_CHECK_PREFIX:-}$*"; }
hv_fail() { echo "FAIL: ${HV_CHECK_PREFIX:-}$*"; }

# check NAME COMMAND...: PASS or FAIL by the command's status.
check() {
	local name=$1
	shift
	if "$@"; then hv_pass "$name"; else hv_fail "$name"; fi
}

# check_eq NAME EXPECTED ACTUAL: PASS, or FAIL with both values.
check_eq() {
	if [ "$2" = "$3" ]; then
		hv_pass "$1 ($3)"
	else
		hv_fail "$1: expected '$2', got '$3'"
	fi
}

# hv_marker NAME [SECONDS]: wait for the guest's "HV-SYNC: NAME" (default
# 120 s); FAIL and a non-zero status if it does not come.
hv_marker() {
	hv_wait_console "HV-SYNC: $1" "${2:-120}" && return 0
	hv_fail "no $1 marker"
	return 1
}

# For host scripts: the image IMG shrinks by more than 16 MiB between
# the guest's trim-before and trim-after markers (its fstrim punched it).
hv_trim_check() {
	local before after
	hv_marker trim-before 300 || return
	before=$(du -k "$1" | cut -f1)
	hv_marker trim-after 120 || return
	after=$(du -k "$1" | cut -f1)
	check "fstrim freed blocks in the image (${before}K -> ${after}K)" \
		[ "$after" -lt $((before - 16384)) ]
}

# hv_check_patterns IMG: the guest's raw_patterns are in the image file.
hv_check_patterns() {
	local mib pat
	pat=$(mktemp)
	seq 1 200000 | head -c 1048576 > "$pat"
	for mib in 1 10; do
		check "the image holds the guest's pattern at $mib MiB" \
			sh -c "dd if='$1' bs=1M skip=$mib count=1 2>/dev/null | cmp -s - '$pat'"
	done
	rm -f "$pat"
}

# hv_netns NS TAP ADDR...: a network namespace for a NIC scenario, with
# loopback and a TAP interface (vnet_hdr) holding the addresses given and
# nothing else: no other interface, no route out. The caller deletes it
# (`ip netns del NS`, in its EXIT trap). Fails if NS cannot be made.
hv_netns() {
	local ns=$1 tap=$2 a
	shift 2
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip -n "$ns" tuntap add "$tap" mode tap vnet_hdr || return 1
	for a in "$@"; do
		ip -n "$ns" addr add "$a" dev "$tap" nodad 2>/dev/null ||
			ip -n "$ns" addr add "$a" dev "$tap" || return 1
	done
	ip -n "$ns" link set "$tap" up
}
