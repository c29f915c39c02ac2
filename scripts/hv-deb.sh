#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-deb.sh: what `make deb` does. Builds the Debian binary package
# hv-drivers-dkms (debian/: debhelper and dh-dkms) from a copy of the
# sources in out/deb/, then runs lintian on it, which must report no error
# and no warning. Prints the package's path on the last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "hv-deb: $*" >&2; exit 1; }
[ $# -eq 0 ] || { echo "usage: hv-deb.sh (no arguments)" >&2; exit 2; }

version=$(cd "$top" && dpkg-parsechangelog -SVersion)
out=$top/out/deb
src=$out/hv-drivers-$version
rm -rf "$out"
mkdir -p "$src"
# The package's inputs only: build products never reach it.
rsync -a --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
	--exclude='Module.symvers' --exclude='.tmp*' \
	"$top/COPYING" "$top/debian" "$top/drivers" "$top/include" "$src/"
(cd "$src" && dpkg-buildpackage -b -us -uc) > "$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (log: $out/build.log)"; }
deb=$out/hv-drivers-dkms_${version}_all.deb
[ -f "$deb" ] || die "$deb was not built"
lintian --fail-on error,warning --info "$out"/*.changes | tee "$out/lintian.log" >&2 ||
	die "lintian found errors or warnings (see $out/lintian.log)"
echo "$deb"
