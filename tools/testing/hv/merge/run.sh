#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Merge tier: scripts/hv-merge.sh puts this tree into a copy of Debian's
# linux-source-6.12 as a staging driver; there the kernel builds with our
# options =y and =m (W=1: no warning in our files), every module comes
# out, and checkpatch --strict is as clean on the merged files as out of
# tree. A second merge into the same tree is refused and changes nothing.
#
# The copy is hard-linked from the unpacked source ($HV_CACHE), made anew
# each run (hv-merge.sh never edits a file in place); the objects are kept
# in $HV_CACHE/merge/build-KEY, KEY hashing the source version and the
# config inputs, so that a warm run rebuilds only our files.
set -uo pipefail

top=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$top" || exit 2
. "$top/tools/testing/hv/static/checkpatch-ignores.sh"
. "$top/scripts/hv-options.sh"
here=$top/tools/testing/hv/merge
cache=${HV_CACHE:-/var/cache/hvdrivers}/merge
ksrc=$("$top/scripts/hv-ksrc.sh") || { echo "FAIL: merge: kernel source"; exit 1; }
src=$cache/src
jobs=$(nproc)

# Our user-visible options (the KUnit suites' are not: tinyconfig has no
# CONFIG_KUNIT; the debug kernel's boot tier runs them).
our_options() { hv_driver_options "$top"; }

# Module names the Makefiles promise: obj-$(CONFIG_HV_*) += NAME.o, the
# KUnit suites' aside.
our_modules() {
	sed -n '/_KUNIT_TEST)/d
		s/^obj-\$(CONFIG_HV_[A-Z_]*)[[:space:]]*+=[[:space:]]*\([a-z_]*\)\.o$/\1/p' \
		"$top"/drivers/hv/*/Makefile "$top"/tools/testing/hv/echo/Makefile
}

key=$({ cat "$ksrc/Makefile" "$here/merge.config"; our_options; } |
	sha256sum | cut -c1-16)
build=$cache/build-$key
mkdir -p "$cache"
for old in "$cache"/build-*; do
	[ "$old" = "$build" ] || rm -rf "$old"
done

kmake() {
	nice make -s -C "$src" O="$build" ARCH=x86_64 "$@"
}

# The hard-linked copy, and the merge.
rm -rf "$src"
cp -al "$ksrc" "$src"
if "$top/scripts/hv-merge.sh" "$src" > "$cache/log-merge" 2>&1; then
	echo "PASS: merge: hv-merge.sh into linux-source-$(make -s -C "$ksrc" kernelversion 2>/dev/null)"
else
	echo "FAIL: merge: hv-merge.sh: $(tail -n 1 "$cache/log-merge")"
	exit 1
fi

# Merging again: refused with a message, and nothing changes.
tree_sum() {
	(cd "$src" && find drivers/staging Documentation/hv -type f \
		-exec sha256sum {} + | sort | sha256sum)
}
sum=$(tree_sum)
if "$top/scripts/hv-merge.sh" "$src" > /dev/null 2> "$cache/log-again"; then
	echo "FAIL: merge: a second merge into the same tree was accepted"
elif ! grep -q "already holds the merge" "$cache/log-again" ||
     [ "$(tree_sum)" != "$sum" ]; then
	echo "FAIL: merge: a second merge: no clear message, or the tree changed"
else
	echo "PASS: merge: a second merge is refused and changes nothing"
fi

# The config: tinyconfig, what our drivers need, and our options.
configure() {
	[ -f "$build/.hv-configured" ] && return 0
	rm -rf "$build"
	mkdir -p "$build"
	kmake tinyconfig > /dev/null &&
	{ cat "$here/merge.config"; our_options | sed 's/$/=m/; s/^/CONFIG_/'; } \
		> "$build/hv.config" &&
	(cd "$build" && ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$build" "$build/.config" "$build/hv.config" > /dev/null) &&
	kmake olddefconfig > /dev/null &&
	touch "$build/.hv-configured"
}
if ! configure > "$cache/log-config" 2>&1; then
	echo "FAIL: merge: configure the kernel (see $cache/log-config)"
	exit 1
fi

# With the kernel's own Hyper-V drivers on, ours cannot be chosen.
exclusive() {
	local cfg=$build/.config.hyperv
	cp "$build/.config" "$cfg"
	"$src/scripts/config" --file "$cfg" --module HYPERV
	KCONFIG_CONFIG=$cfg kmake olddefconfig > /dev/null 2>&1
	grep -qx 'CONFIG_HYPERV=m' "$cfg" && ! grep -q '^CONFIG_HV_' "$cfg"
}
if exclusive; then
	echo "PASS: merge: with the kernel's CONFIG_HYPERV on, none of our options can be on"
else
	echo "FAIL: merge: our options and the kernel's CONFIG_HYPERV can be on together"
fi

# set_ours VALUE: our options =VALUE; each must then be in the config.
set_ours() {
	local opt missing=""
	for opt in $(our_options); do
		"$src/scripts/config" --file "$build/.config" --set-val "$opt" "$1"
	done
	kmake olddefconfig > /dev/null
	for opt in $(our_options); do
		grep -qx "CONFIG_$opt=$1" "$build/.config" || missing+=" $opt"
	done
	echo "$missing"
}

# Warnings and errors in our files (or modpost's about our modules).
our_warnings() {	# LOG
	grep -E '(^|/)drivers/staging/hv/.*(warning|error):|modpost.*(staging/hv|hv_)' "$1"
}

# build_as VALUE TARGET...: our options =VALUE, the kernel built W=1.
build_as() {
	local value=$1 log=$cache/log-build-$1 missing rc
	shift
	missing=$(set_ours "$value")
	if [ -n "$missing" ]; then
		echo "FAIL: merge: options not settable to $value:$missing"
		return 1
	fi
	kmake -j"$jobs" W=1 "$@" > "$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: merge: the kernel with our options =$value does not build (exit $rc)"
		grep -E 'error|Error' "$log" | head -n 10 | sed 's/^/  | /'
		return 1
	fi
	if our_warnings "$log" > "$cache/warnings-$value"; then
		echo "FAIL: merge: W=1 warnings in our files, options =$value"
		head -n 20 "$cache/warnings-$value" | sed 's/^/  | /'
	else
		echo "PASS: merge: the kernel builds with our options =$value, no W=1 warning in our files"
	fi
}

# Built in: our code is in vmlinux.
if build_as y vmlinux; then
	nm "$build/vmlinux" > "$cache/vmlinux.nm"
	if grep -qw vmbus_chan_open "$cache/vmlinux.nm" &&
	   grep -qw vstor_negotiate "$cache/vmlinux.nm"; then
		echo "PASS: merge: =y: the core and hv_vstor are linked into vmlinux"
	else
		echo "FAIL: merge: =y: vmbus_chan_open or vstor_negotiate not in vmlinux"
	fi
fi

# Modules: each one the Makefiles promise.
if build_as m vmlinux modules; then
	missing=""
	for m in $(our_modules); do
		[ -n "$(find "$build/drivers/staging/hv" -name "$m.ko")" ] ||
			missing+=" $m"
	done
	if [ -z "$missing" ]; then
		echo "PASS: merge: =m: every module is built ($(our_modules | xargs))"
	else
		echo "FAIL: merge: =m: modules missing:$missing"
	fi
fi

# checkpatch in the kernel tree, with the same exceptions as out of tree.
: > "$cache/log-checkpatch"
while IFS= read -r f; do
	# shellcheck disable=SC2046
	(cd "$src" && scripts/checkpatch.pl --strict --terse --show-types -q \
		$(hv_checkpatch_ignores "$f") -f "$f") >> "$cache/log-checkpatch" 2>&1
done < <(cd "$src" && find drivers/staging/hv -name '*.[ch]' | sort)
if grep -vE '^total:|^$' "$cache/log-checkpatch" > "$cache/checkpatch.found"; then
	echo "FAIL: merge: checkpatch --strict on the merged files: $(wc -l < "$cache/checkpatch.found") finding(s)"
	head -n 20 "$cache/checkpatch.found" | sed 's/^/  | /'
else
	echo "PASS: merge: checkpatch --strict on the merged files"
fi
