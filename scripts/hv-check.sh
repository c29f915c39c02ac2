#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-check.sh all|static|unit|merge|boot|debug|distro
#
# Run test tiers. Every check prints "PASS: name" or "FAIL: name: why";
# the run ends with "N passed, N failed" and fails if anything failed.
# HV_KVERS selects the kernels of the boot tier (default "6.12 6.1"); the
# debug tier is the boot tier on the debug kernel (KVER=debug, built and
# cached by scripts/hv-debug-kernel.sh), lean.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
tiers=${1:-all}
case "$tiers" in
all | static | unit | merge | boot | debug | distro) ;;
*) echo "hv-check: unknown tier '$tiers' (all, static, unit, merge, boot, debug, distro)" >&2
   exit 2 ;;
esac
kvers=${HV_KVERS:-6.12 6.1}
results=$top/out/results
mkdir -p "$results"
# One log per run, so that concurrent runs never count each other's lines.
log=$(mktemp "$results/check.XXXXXX")
ln -sfn "$(basename "$log")" "$results/check.log"

run_tier() {
	local name=$1
	shift
	echo "== $name" | tee -a "$log"
	"$@" 2>&1 | tee -a "$log" | grep --line-buffered -E '^(PASS|FAIL|SKIP|==|  \| )' || true
}

# hvhost's unit tests and the tools' handling of bad input.
unit_tier() {
	"$top/tools/testing/hv/unit/run.sh"
	"$top/tools/testing/hv/cli/run.sh"
}

# The debug kernel first (a fresh machine builds it: about 15 minutes),
# then the boot tier on it, then the coverage of our modules over it.
debug_tier() {
	if ! "$top/scripts/hv-debug-kernel.sh" > /dev/null; then
		echo "FAIL: debug: the debug kernel does not build"
		return
	fi
	echo "PASS: debug: the debug kernel (KASAN, lockdep, kmemleak, UBSAN, KFENCE, KUnit, GCOV) built from the merged tree"
	"$top/tools/testing/hv/boot/run.sh" debug
	"$top/scripts/hv-coverage.sh" 2>&1 | sed 's/^hv-coverage: /  | coverage: /'
}

# A fresh machine has no debug kernel yet: build it behind the other tiers,
# at the lowest priority, so that its 15 minutes mostly fill the time the
# boot tier's guests leave idle. The debug tier comes last, to give it the
# most time; it waits for the build (the build is locked) or, if it
# failed, tries again and reports why.
prebuild_debug_kernel() {
	"$top/scripts/hv-debug-kernel.sh" --cached > /dev/null 2>&1 && return
	nice -n 19 "$top/scripts/hv-debug-kernel.sh" > "$results/debug-kernel.log" 2>&1 &
}

# The same for the distro tier's root file system, which a change of the
# drivers rebuilds (its package is one of its inputs): about 5 minutes.
prebuild_rootfs() {
	nice -n 19 "$top/scripts/hv-rootfs.sh" > "$results/rootfs.log" 2>&1 &
}

case "$tiers" in
all) prebuild_debug_kernel
     prebuild_rootfs
     run_tier static "$top/tools/testing/hv/static/run.sh" $kvers
     run_tier unit unit_tier
     run_tier merge "$top/tools/testing/hv/merge/run.sh"
     run_tier boot "$top/tools/testing/hv/boot/run.sh" $kvers
     run_tier distro "$top/tools/testing/hv/distro/run.sh"
     run_tier debug debug_tier ;;
static) run_tier static "$top/tools/testing/hv/static/run.sh" $kvers ;;
unit) run_tier unit unit_tier ;;
merge) run_tier merge "$top/tools/testing/hv/merge/run.sh" ;;
boot) run_tier boot "$top/tools/testing/hv/boot/run.sh" $kvers ;;
debug) run_tier debug debug_tier ;;
distro) run_tier distro "$top/tools/testing/hv/distro/run.sh" ;;
esac

passed=$(grep -c '^PASS:' "$log")
failed=$(grep -c '^FAIL:' "$log")
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL: no test ran" | tee -a "$log"
	failed=1
fi
echo "full log: $log"
if "$top/scripts/hv-results.sh" "$log" "$results"; then
	echo "for other CI systems: $results/results.ktap, $results/results.junit.xml"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
