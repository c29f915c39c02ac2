#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack Debian's linux-source-6.12 into the cache once, for the static
# checkers (checkpatch.pl, coccicheck, kernel-doc). Prints its path.
set -euo pipefail

cache=${HV_CACHE:-/var/cache/hvdrivers}
dst=$cache/linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz

mkdir -p "$cache"
# One unpacking at a time (the debug kernel's build may run beside the
# static tier).
exec 9> "$cache/.linux-source.lock"
flock 9
if [ ! -f "$dst/.complete" ]; then
	[ -f "$tarball" ] || { echo "hv-ksrc: $tarball missing (install linux-source-6.12)" >&2; exit 1; }
	rm -rf "$dst.tmp"
	mkdir -p "$dst.tmp"
	tar -xJf "$tarball" -C "$dst.tmp" --strip-components=1
	touch "$dst.tmp/.complete"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
fi
echo "$dst"
