#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-kernel.sh KVER
#
# Fetch Debian's stock kernel image, modules and headers for KVER (6.12 or
# 6.1) from the package archive and unpack them into the cache, never into
# /boot or /lib/modules. Prints the unpacked root on stdout; the kernel
# release is in <root>/release.
set -euo pipefail

kver=${1:-6.12}
cache=${HV_CACHE:-/var/cache/hvdrivers}

die() { echo "hv-kernel: $*" >&2; exit 1; }

case "$kver" in
debug) exec "$(dirname "$0")/hv-debug-kernel.sh" ;;
6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
*) die "unknown KVER '$kver' (use 6.12 or 6.1)" ;;
esac

command -v apt-cache >/dev/null || die "apt-cache not found (not a Debian system?)"
pkg=$(apt-cache pkgnames linux-image- | grep -E "$pattern" | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
	apt-get update -qq || true
	pkg=$(apt-cache pkgnames linux-image- | grep -E "$pattern" | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || die "no Debian package matches $pattern"
release=${pkg#linux-image-}
root=$cache/kernels/$release

mkdir -p "$cache/kernels"
# One unpacking at a time: make check's background builds want kernels too.
exec 9> "$cache/kernels/.lock-$release"
flock 9
if [ -f "$root/.complete" ]; then
	# Caches made before depmod was part of the unpacking lack it.
	[ -f "$root/lib/modules/$release/modules.dep" ] ||
		depmod -b "$root" "$release"
	echo "$root"
	exit 0
fi

hdr=linux-headers-$release
common=$(apt-cache depends "$hdr" | sed -n 's/.*Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
kbuild=$(apt-cache depends "$hdr" | sed -n 's/.*Depends: \(linux-kbuild-.*\)$/\1/p' | head -n 1)
[ -n "$common" ] && [ -n "$kbuild" ] || die "cannot resolve the header packages of $hdr"

rm -rf "$root.tmp"
mkdir -p "$root.tmp/debs"
(cd "$root.tmp/debs" && apt-get download -qq "$pkg" "$hdr" "$common" "$kbuild" 2>/dev/null) ||
	die "apt-get download of $pkg and its headers failed"
for deb in "$root.tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root.tmp"
done
rm -rf "$root.tmp/debs"

# The flavour Makefile includes the common one by absolute path.
mk=$root.tmp/usr/src/$hdr/Makefile
sed -i "s|include /usr/src/|include $root/usr/src/|" "$mk"
# What the package's postinst would do: index the modules.
depmod -b "$root.tmp" "$release"
echo "$release" > "$root.tmp/release"
touch "$root.tmp/.complete"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
