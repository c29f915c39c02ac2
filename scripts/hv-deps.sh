#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-deps.sh [bench]
#
# Install the Debian packages the build, the checks and the boot tests need
# (and, with "bench", what make bench needs besides).
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS="gcc make bc flex bison libelf-dev libssl-dev kmod cpio xz-utils zstd
	qemu-system-x86 busybox-static e2fsprogs fio sparse coccinelle
	linux-source-6.12 liburing-dev python3 perl rsync dwarves
	sg3-utils kexec-tools fdisk xorriso ethtool lcov iperf3
	dkms debhelper dh-dkms lintian mmdebstrap iputils-ping"
# make bench draws its chart with gnuplot and counts CPU time with perf.
[ "${1:-}" = bench ] && PKGS="$PKGS gnuplot-nox linux-perf"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "hv-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "hv-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
