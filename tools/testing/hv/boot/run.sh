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
# each still covers what it covers, with fewer rounds and less data),
# each guest ends with the teardown of guest-lib.sh (HV_TEARDOWN=1: sysfs,
# CPU offline, ethtool changes, unbind, unload, under the debug kernel's
# checkers), and only those of $debug_scenarios run unless HV_SCENARIOS
# names others.
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
# There the default is, each lean: one scenario per driver, the ones
# where the host breaks its contract (the drivers' reject and error
# paths, which only these checkers judge), the hot-plug ones, and KUnit.
# About 20 minutes on 2 cores. Left to the stock kernels: the scenarios
# of set-up variants (versions, backend, chanapi, devices, kexec, reload,
# cpuhotplug, netvsc-guest: paths the others take too),
# and the fuzzer, t-fuzz, opt-in for now.
debug_scenarios="echo storvsc blkvsc netvsc kunit storvsc-faults
	storvsc-errors storvsc-hotplug blkvsc-errors blkvsc-dvd netvsc-faults
	vmbus-faults hotplug"
debug_scenarios=$(echo $debug_scenarios)
user_scale=${HV_TIME_SCALE:-} user_lean=${HV_LEAN:-}
user_teardown=${HV_TEARDOWN:-}

# Scenarios run HV_JOBS at a time (default 2). A TCG guest of the stock
# kernels keeps less than one of the machine's cores busy on average
# (most scenarios wait on the host, on timeouts or on each other), so
# two at once take about half the time. Every scenario has its own run
# folder, control socket, scratch folder and network namespace, so two
# never share anything but the CPU. The debug kernel's guests keep the
# CPU busy: there the default is 1. HV_JOBS=1 runs everything in order.
declare -A kenv=() ktimes=()
jobs=() default_jobs=2

# prepare_kernel KVER: the modules and initramfs for KVER, and the
# environment of its scenarios in kenv[KVER]; appends its scenarios to
# jobs; a debug kernel sets default_jobs to 1. Prints a FAIL: line and
# returns non-zero when a step fails.
prepare_kernel() {
	local KVER=$1 kroot kconfig gcov="" config rel scenarios scale lean teardown
	local HV_RUNS HV_INITRD HV_INITRD_STORAGE t name
	export KVER
	# A debug kernel: scaled timeouts, lean scenarios, and our modules
	# built with GCOV for the coverage report.
	kroot=$("$HV_TOP/scripts/hv-kernel.sh" "$KVER")
	kconfig=$kroot/boot
	if grep -qx 'CONFIG_KASAN=y' "$kconfig"/config-* 2>/dev/null; then
		scale=${user_scale:-4} lean=${user_lean:-1}
		teardown=${user_teardown:-1}
		gcov="GCOV_PROFILE=y"
		scenarios=${HV_SCENARIOS:-$debug_scenarios}
		default_jobs=1
	else
		scale=${user_scale:-1} lean=${user_lean:-0}
		teardown=${user_teardown:-0}
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
		return 1
	fi
	rel=$(cat "$kroot/release")
	HV_RUNS=$HV_TOP/out/runs/$rel
	HV_INITRD=$HV_RUNS/base.cpio.gz
	mkdir -p "$HV_RUNS"
	if ! "$HV_TOP/scripts/hv-initramfs.sh" "$KVER" "$HV_INITRD"; then
		echo "FAIL: $KVER: boot: initramfs"
		return 1
	fi
	# The storage image is large, so only the disk scenarios use it.
	HV_INITRD_STORAGE=$HV_RUNS/storage.cpio.gz
	if ! "$HV_TOP/scripts/hv-initramfs.sh" "$KVER" \
	     "$HV_INITRD_STORAGE" --storage; then
		echo "FAIL: $KVER: boot: storage initramfs"
		return 1
	fi
	kenv[$KVER]="KVER=$KVER HV_TIME_SCALE=$scale HV_LEAN=$lean HV_TEARDOWN=$teardown HV_RUNS=$HV_RUNS HV_INITRD=$HV_INITRD HV_INITRD_STORAGE=$HV_INITRD_STORAGE"
	for t in "$here"/t-*.sh; do
		name=$(basename "$t" .sh)
		name=${name#t-}
		if [ -n "$scenarios" ] &&
		   ! [[ " $scenarios " == *" $name "* ]]; then
			continue
		fi
		jobs+=("$KVER $name")
	done
}

# start_job "KVER NAME": the scenario in the background, its output in a
# file of its own; the pid's job, output file and start time are noted.
declare -A job_of=() out_of=() start_of=()
start_job() {
	local kver=${1%% *} name=${1#* } out
	out=$(mktemp)
	# shellcheck disable=SC2086
	(export ${kenv[$kver]}; run_scenario "$here/t-$name.sh" "$name") \
		> "$out" 2>&1 &
	job_of[$!]=$1 out_of[$!]=$out start_of[$!]=$SECONDS
}

# finish_job PID: its output, under its "== KVER NAME" line, all at once
# so that two scenarios' lines never mix; its time noted for the summary.
finish_job() {
	local pid=$1 job=${job_of[$1]}
	echo "== $job"
	cat "${out_of[$pid]}"
	rm -f "${out_of[$pid]}"
	ktimes[${job%% *}]+=" ${job#* } $((SECONDS - ${start_of[$pid]}))s"
	unset "job_of[$pid]" "out_of[$pid]" "start_of[$pid]"
}

for kver in $kvers; do
	prepare_kernel "$kver"
done
slots=${HV_JOBS:-$default_jobs}
if ! [[ "$slots" =~ ^[1-9][0-9]*$ ]]; then
	echo "FAIL: boot: HV_JOBS must be a positive number, not '$slots'"
	exit 1
fi
for job in "${jobs[@]}"; do
	while [ "${#job_of[@]}" -ge "$slots" ]; do
		wait -n -p done_pid "${!job_of[@]}"
		finish_job "$done_pid"
	done
	start_job "$job"
done
while [ "${#job_of[@]}" -gt 0 ]; do
	wait -n -p done_pid "${!job_of[@]}"
	finish_job "$done_pid"
done
for kver in $kvers; do
	[ -n "${ktimes[$kver]:-}" ] &&
		echo "  | $kver: scenario times:${ktimes[$kver]}"
done
