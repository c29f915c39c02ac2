#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot tier: for each kernel, build the modules, hvhost and the base
# initramfs, then run every t-*.sh scenario (or those named in
# HV_SCENARIOS). Prints PASS:/FAIL: lines, and each scenario's time.
#
# On a debug kernel (its config has KASAN: KVER=debug, the debug tier)
# the guests are about 3.4 times slower: every timeout is scaled
# (HV_TIME_SCALE, default 4 there), the scenarios run lean (HV_LEAN=1:
# each still covers what it covers, with fewer rounds and less data), and
# only those of $debug_scenarios unless HV_SCENARIOS names others.
set -uo pipefail

HV_TOP=$(cd "$(dirname "$0")/../../../.." && pwd)
export HV_TOP
here=$HV_TOP/tools/testing/hv/boot
kvers=${*:-6.12 6.1}
HV_CONFIG=${HV_CONFIG:-$(make -s -C "$HV_TOP" print-config)}

if ! make -s -C "$HV_TOP/tools/hv/hvhost" > /dev/null; then
	echo "FAIL: boot: hvhost does not build"
	exit 1
fi

# run_scenario FILE NAME: the scenario in a session of its own; whatever
# it left running (a server it started, a guest) is a failure, and killed,
# so that it cannot hold ports, locks or files for the scenarios after it.
run_scenario() {
	local sid_file left
	sid_file=$(mktemp)
	# shellcheck disable=SC2016
	setsid -w bash -c 'echo $$ > "$1"; exec bash "$2"' _ "$sid_file" "$1"
	left=$(pgrep -s "$(cat "$sid_file")" -l | tr '\n' ' ')
	if [ -n "$left" ]; then
		pkill -KILL -s "$(cat "$sid_file")"
		echo "FAIL: $KVER: $2: processes left running after it: $left"
	fi
	rm -f "$sid_file"
}

# On the debug kernel, one boot costs about 40 s before any test and the
# rest runs about 4 times slower: all 24 scenarios would take an hour.
# There the default is one scenario per driver, each lean, and the ones
# made for the referees: KUnit (the fuzzer, t-fuzz, is opt-in for now).
debug_scenarios="echo storvsc blkvsc netvsc kunit"
user_scale=${HV_TIME_SCALE:-} user_lean=${HV_LEAN:-}
times=""
for KVER in $kvers; do
	export KVER
	# A debug kernel: scaled timeouts, lean scenarios, and our modules
	# built with GCOV for the coverage report.
	kroot=$("$HV_TOP/scripts/hv-kernel.sh" "$KVER")
	kconfig=$kroot/boot
	gcov=""
	if grep -qx 'CONFIG_KASAN=y' "$kconfig"/config-* 2>/dev/null; then
		export HV_TIME_SCALE=${user_scale:-4} HV_LEAN=${user_lean:-1}
		gcov="GCOV_PROFILE=y"
		scenarios=${HV_SCENARIOS:-$debug_scenarios}
	else
		export HV_TIME_SCALE=${user_scale:-1} HV_LEAN=${user_lean:-0}
		scenarios=${HV_SCENARIOS:-}
	fi
	# A kernel built with KUnit (the debug kernel) gets the suites too.
	config=$HV_CONFIG
	if grep -qx 'CONFIG_KUNIT=y' "$kconfig"/config-* 2>/dev/null; then
		config+=" ${HV_CONFIG_KUNIT:-$(make -s -C "$HV_TOP" print-config-kunit)}"
	fi
	if ! HV_KBUILD_FLAGS="${HV_KBUILD_FLAGS:-} $gcov" \
	     "$HV_TOP/scripts/hv-build.sh" "$KVER" $config > /dev/null; then
		echo "FAIL: $KVER: boot: modules do not build"
		continue
	fi
	rel=$(cat "$kroot/release")
	HV_RUNS=$HV_TOP/out/runs/$rel
	HV_INITRD=$HV_RUNS/base.cpio.gz
	export HV_RUNS HV_INITRD
	mkdir -p "$HV_RUNS"
	if ! "$HV_TOP/scripts/hv-initramfs.sh" "$KVER" "$HV_INITRD"; then
		echo "FAIL: $KVER: boot: initramfs"
		continue
	fi
	# The storage image is large, so only the disk scenarios use it.
	HV_INITRD_STORAGE=$HV_RUNS/storage.cpio.gz
	export HV_INITRD_STORAGE
	if ! "$HV_TOP/scripts/hv-initramfs.sh" "$KVER" "$HV_INITRD_STORAGE" \
	     --storage; then
		echo "FAIL: $KVER: boot: storage initramfs"
		continue
	fi
	for t in "$here"/t-*.sh; do
		name=$(basename "$t" .sh)
		name=${name#t-}
		if [ -n "$scenarios" ] &&
		   ! [[ " $scenarios " == *" $name "* ]]; then
			continue
		fi
		echo "== $KVER $name"
		start=$SECONDS
		run_scenario "$t" "$name"
		times+=" $name $((SECONDS - start))s"
	done
	echo "  | $KVER: scenario times:$times"
	times=""
done
