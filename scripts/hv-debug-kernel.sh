#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-debug-kernel.sh [--cached]
#
# The debug kernel: Debian's linux-source-6.12 with this tree merged in as
# a staging driver (scripts/hv-merge.sh), x86_64_defconfig, kvm_guest.config
# and tools/testing/hv/debug/debug.config (KASAN, lockdep, kmemleak, UBSAN,
# KFENCE, KUnit, GCOV), our options =m. Built once and cached under
# $HV_CACHE/kernels/debug-KEY, KEY hashing the kernel source version and
# the config inputs; laid out like hv-kernel.sh's unpacked Debian kernels
# (boot/vmlinuz-REL, lib/modules/REL, usr/src/linux-headers-REL, release)
# so that the boot tier runs on it unchanged. The boot tier builds this
# tree's modules against it (as against Debian's headers); the in-tree
# copies built with the kernel are only the merge's proof that they build.
# Prints the root on stdout; the build's log is beside it. With --cached,
# only prints the root of a kernel already built (exit 1 if there is none).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${HV_CACHE:-/var/cache/hvdrivers}
fragment=$top/tools/testing/hv/debug/debug.config

die() { echo "hv-debug-kernel: $*" >&2; exit 1; }

ksrc=$("$top/scripts/hv-ksrc.sh") || die "no kernel source"
. "$top/scripts/hv-options.sh"
# Our driver options (not the KUnit ones, which the boot tier builds out of
# tree: adding a test must not rebuild the kernel).
our_options() { hv_driver_options "$top"; }
key=$({ cat "$ksrc/Makefile" "$ksrc/arch/x86/configs/x86_64_defconfig" \
	    "$ksrc/kernel/configs/kvm_guest.config" "$fragment"; our_options; } |
	sha256sum | cut -c1-16)
root=$cache/kernels/debug-$key
if [ "${1:-}" = --cached ]; then
	[ -f "$root/.complete" ] && echo "$root"
	[ -f "$root/.complete" ]
	exit
fi
work=$cache/debug
mkdir -p "$work"
# One build at a time: a second caller waits for the first one's kernel.
exec 9> "$work/lock"
flock 9
if [ -f "$root/.complete" ]; then
	echo "$root"
	exit 0
fi

src=$work/src-$key
build=$work/build-$key
log=$work/build-$key.log
# Older keys' trees and kernels are of no more use.
for old in "$work"/src-* "$work"/build-* "$cache"/kernels/debug-*; do
	case "$old" in *"$key"*) ;; *) rm -rf "$old" ;; esac
done

kmake() {
	nice make -s -C "$src" O="$build" ARCH=x86_64 "$@"
}

start=$(date +%s)
echo "hv-debug-kernel: building the debug kernel (about 15 minutes on 2 cores; log: $log)" >&2
if [ ! -f "$src/.hv-merged" ]; then
	rm -rf "$src"
	cp -al "$ksrc" "$src"
	"$top/scripts/hv-merge.sh" "$src" > "$log" 2>&1 || die "hv-merge.sh failed (see $log)"
	touch "$src/.hv-merged"
fi
mkdir -p "$build"
{
	kmake x86_64_defconfig
	our_options | sed 's/^/CONFIG_/; s/$/=m/' > "$build/hv-options.config"
	(cd "$build" && ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -m \
		-O "$build" "$build/.config" "$src/kernel/configs/kvm_guest.config" \
		"$fragment" "$build/hv-options.config")
	kmake olddefconfig
} >> "$log" 2>&1 || die "configuring failed (see $log)"
# What the fragment asks for and the kernel did not take is a mistake in
# the fragment (a symbol renamed, a dependency missing).
for want in CONFIG_KASAN=y CONFIG_PROVE_LOCKING=y CONFIG_DEBUG_KMEMLEAK=y \
	    CONFIG_UBSAN_BOUNDS=y CONFIG_KFENCE=y CONFIG_KUNIT=y \
	    CONFIG_GCOV_KERNEL=y CONFIG_DEBUG_LIST=y CONFIG_DEBUG_ATOMIC_SLEEP=y \
	    $(our_options | sed 's/^/CONFIG_/; s/$/=m/'); do
	grep -qx "$want" "$build/.config" || die "the config did not take $want (see $build/.config)"
done
kmake -j"$(nproc)" bzImage modules >> "$log" 2>&1 || die "the build failed (see $log)"

rel=$(kmake kernelrelease)
rm -rf "$root.tmp"
mkdir -p "$root.tmp/boot" "$root.tmp/usr/src"
kmake INSTALL_MOD_PATH="$root.tmp" INSTALL_MOD_STRIP=1 modules_install >> "$log" 2>&1 ||
	die "modules_install failed (see $log)"
cp "$build/arch/x86/boot/bzImage" "$root.tmp/boot/vmlinuz-$rel"
cp "$build/.config" "$root.tmp/boot/config-$rel"
# External modules build against the build folder, which names the source.
ln -s "$build" "$root.tmp/usr/src/linux-headers-$rel"
rm -f "$root.tmp/lib/modules/$rel/build" "$root.tmp/lib/modules/$rel/source"
echo "$rel" > "$root.tmp/release"
echo "$(( $(date +%s) - start ))" > "$root.tmp/build-seconds"
touch "$root.tmp/.complete"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "hv-debug-kernel: built $rel in $(cat "$root/build-seconds") s" >&2
echo "$root"
