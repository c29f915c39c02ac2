#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-check.sh all|static|unit|merge|boot|distro
#
# Run test tiers. Every check prints "PASS: name" or "FAIL: name: why";
# the run ends with "N passed, N failed" and fails if anything failed.
# HV_KVERS selects the kernels (default "6.12 6.1").
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
tiers=${1:-all}
case "$tiers" in
all | static | unit | merge | boot | distro) ;;
*) echo "hv-check: unknown tier '$tiers' (all, static, unit, merge, boot, distro)" >&2
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

case "$tiers" in
all) run_tier static "$top/tools/testing/hv/static/run.sh" $kvers
     run_tier unit unit_tier
     run_tier merge "$top/tools/testing/hv/merge/run.sh"
     run_tier boot "$top/tools/testing/hv/boot/run.sh" $kvers
     run_tier distro "$top/tools/testing/hv/distro/run.sh" ;;
static) run_tier static "$top/tools/testing/hv/static/run.sh" $kvers ;;
unit) run_tier unit unit_tier ;;
merge) run_tier merge "$top/tools/testing/hv/merge/run.sh" ;;
boot) run_tier boot "$top/tools/testing/hv/boot/run.sh" $kvers ;;
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
