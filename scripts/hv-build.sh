#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-build.sh KVER [CONFIG_X=m ...] [-- kbuild-target ...]
#
# Build the modules against Debian's headers for KVER in out/<release>/:
# the sources are mirrored there so that two kernels never share objects.
# Extra words after -- are kbuild targets (default: modules). Prints the
# output folder on the last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: hv-build.sh KVER [CONFIG_X=m ...] [-- target ...]}
shift
configs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	configs+=("$1")
	shift
done
[ "${1:-}" = "--" ] && shift
targets=("${@:-modules}")

kroot=$("$top/scripts/hv-kernel.sh" "$kver")
rel=$(cat "$kroot/release")
hdr=$kroot/usr/src/linux-headers-$rel
out=$top/out/$rel${HV_OUT_TAG:+-$HV_OUT_TAG}
if [ -n "${HV_OUT_TAG:-}" ] && [ -z "${HV_KBUILD_FLAGS:-}" ]; then
	rm -rf "$out"	# a fresh build, so that every warning shows
fi

mkdir -p "$out"
# Sources only: build products a developer left in the tree stay out.
rsync -a --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='modules.order' \
	--exclude='Module.symvers' --exclude='.tmp*' \
	--include='/Kbuild' --include='/drivers/***' --include='/include/***' \
	--include='/tools/' --include='/tools/testing/' \
	--include='/tools/testing/hv/' --include='/tools/testing/hv/echo/***' \
	--exclude='*' "$top/" "$out/"

make -s -C "$hdr" M="$out" NOSTDINC_FLAGS="-I$out/include" \
	"${configs[@]}" W=1 ${HV_KBUILD_FLAGS:-} "${targets[@]}" >&2
echo "$out"
