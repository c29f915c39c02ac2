#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-run.sh KVER: what `make run` does. Boots a guest under hvhost with an
# echo test device and SCSI, IDE and network offers, loads the drivers
# through their modaliases and shows what the VMBus found.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
run=$top/out/runs/make-run
rm -rf "$run"
mkdir -p "$run"

echo "Booting Debian's $kver kernel (QEMU TCG) under hvhost; guest console follows."
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --console \
	--guest "$top/tools/testing/hv/boot/show.guest.sh" --timeout 240 -- \
	--echo --scsi --ide --nic || {
	echo "make run: the guest did not finish; logs in $run" >&2
	exit 1
}
echo
echo "make run: done; logs in $run (console.log, hvhost.log)"
