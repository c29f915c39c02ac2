#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static tier: W=1 and sparse (C=2) builds on each kernel, checkpatch
# --strict, coccicheck, kernel-doc on exported functions, and hvhost with
# -Wall -Wextra -Werror. Prints PASS:/FAIL: lines.
# The checkpatch types ignored, and why: checkpatch-ignores.sh.
set -uo pipefail

top=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$top" || exit 2
. "$top/tools/testing/hv/static/checkpatch-ignores.sh"
kvers=${*:-6.12 6.1}
ksrc=$("$top/scripts/hv-ksrc.sh") || { echo "FAIL: static: kernel source"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Kernel C and headers of this tree (the test module included).
kernel_files() {
	git ls-files -co --exclude-standard -- drivers include \
		tools/testing/hv/echo | grep -E '\.[ch]$'
}

report() {	# name, findings file
	if [ -s "$2" ]; then
		echo "FAIL: $1: $(wc -l < "$2") finding(s)"
		sed 's/^/    /' "$2" | head -n 40
	else
		echo "PASS: $1"
	fi
}

build_checks() {	# KVER
	local kver=$1 out rc
	out=$(HV_OUT_TAG=static "$top/scripts/hv-build.sh" "$kver" \
		$HV_CONFIG 2> "$tmp/build.log" | tail -n 1)
	rc=$?
	grep -E 'warning:|error:' "$tmp/build.log" > "$tmp/w1" || true
	[ $rc -eq 0 ] || echo "build failed (exit $rc)" >> "$tmp/w1"
	report "static: W=1 build, $kver" "$tmp/w1"
	[ $rc -eq 0 ] || return
	HV_OUT_TAG=static HV_KBUILD_FLAGS="C=2" "$top/scripts/hv-build.sh" \
		"$kver" $HV_CONFIG > /dev/null 2> "$tmp/sparse.log"
	grep -E 'warning:|error:' "$tmp/sparse.log" > "$tmp/sp" || true
	report "static: sparse C=2, $kver" "$tmp/sp"
	no_emu_build "$kver"
}

# A production kernel leaves the emulated backend out: hv_vmbus must build
# without CONFIG_HV_VMBUS_EMU, and no hv_vmbus_emu.ko may come out.
no_emu_build() {	# KVER
	local out
	out=$(HV_OUT_TAG=static-noemu "$top/scripts/hv-build.sh" "$1" \
		CONFIG_HV_VMBUS=m 2> "$tmp/noemu.log" | tail -n 1)
	if [ $? -ne 0 ] || ! [ -f "$out/drivers/hv/vmbus/hv_vmbus.ko" ] ||
	   [ -e "$out/drivers/hv/vmbus/hv_vmbus_emu.ko" ] ||
	   grep -qE 'warning:|error:' "$tmp/noemu.log"; then
		echo "FAIL: static: hv_vmbus without HV_VMBUS_EMU, $1"
		grep -E 'warning:|error:' "$tmp/noemu.log" | head -n 5 | sed 's/^/    /'
	else
		echo "PASS: static: hv_vmbus without HV_VMBUS_EMU, $1"
	fi
}

checkpatch() {
	local f
	: > "$tmp/cp"
	for f in $(kernel_files); do
		# shellcheck disable=SC2046
		"$ksrc/scripts/checkpatch.pl" --strict --no-tree --terse \
			--show-types -q $(hv_checkpatch_ignores "$f") -f "$f" \
			>> "$tmp/cp" 2>&1
	done
	grep -vE '^total:|^$' "$tmp/cp" > "$tmp/cp2" || true
	report "static: checkpatch --strict" "$tmp/cp2"
}

# scripts/coccinelle/ scripts that embed OCaml need an OCaml compiler,
# which Debian's coccinelle does not bring: they are skipped.
coccicheck() {
	local cocci dir=$tmp/cocci
	mkdir -p "$dir"
	for f in $(kernel_files); do
		mkdir -p "$dir/$(dirname "$f")"
		cp "$f" "$dir/$f"
	done
	: > "$tmp/cc"
	for cocci in "$ksrc"/scripts/coccinelle/*/*.cocci; do
		grep -q 'script:ocaml' "$cocci" && continue
		make -s -C "$ksrc" coccicheck MODE=report COCCI="$cocci" \
			M="$dir" 2>/dev/null | grep "^$dir" >> "$tmp/cc"
	done
	sed -i "s|^$dir/||" "$tmp/cc"
	report "static: coccicheck" "$tmp/cc"
}

# Every exported function carries kernel-doc, and kernel-doc is clean.
kerneldoc() {
	local f sym
	: > "$tmp/kd"
	for f in $(kernel_files | grep '\.c$'); do
		grep -q 'EXPORT_SYMBOL' "$f" || continue
		"$ksrc/scripts/kernel-doc" -none -Wall "$f" >> "$tmp/kd" 2>&1
		for sym in $(sed -n 's/^EXPORT_SYMBOL\(_GPL\)\?(\(.*\));/\2/p' "$f"); do
			"$ksrc/scripts/kernel-doc" -rst -function "$sym" "$f" \
				2>/dev/null | grep -q "c:function::" ||
				echo "$f: $sym: exported without kernel-doc" >> "$tmp/kd"
		done
	done
	report "static: kernel-doc" "$tmp/kd"
}

hvhost_werror() {
	make -s -C tools/hv/hvhost clean > /dev/null 2>&1
	if make -s -C tools/hv/hvhost > "$tmp/hh" 2>&1; then
		: > "$tmp/hh"
	fi
	report "static: hvhost -Wall -Wextra -Werror" "$tmp/hh"
}

HV_CONFIG=${HV_CONFIG:-$(make -s -C "$top" print-config)}
for kver in $kvers; do
	build_checks "$kver"
done
checkpatch
coccicheck
kerneldoc
hvhost_werror
