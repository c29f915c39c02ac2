#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-run.sh KVER: what `make run` does. Boots a guest under hvhost with a
# SCSI controller holding a disk image, IDE and network offers and an echo
# test device, loads the drivers through their modaliases and shows what
# the VMBus found, the disk at work and the NIC pinging across its TAP
# (which lives in a network namespace of its own, deleted on exit).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
run=$top/out/runs/make-run
rm -rf "$run"
mkdir -p "$run"

truncate -s 64M "$run/scsi-disk.img"
ns=hvrun$$ tap=hvrun0
trap 'ip netns del $ns 2>/dev/null' EXIT
. "$top/tools/testing/hv/boot/lib.sh"
hv_netns $ns $tap 192.168.78.1/24
"$top/scripts/hv-initramfs.sh" "$kver" "$run/initrd.cpio.gz" --storage

echo "Booting Debian's $kver kernel (QEMU TCG) under hvhost; guest console follows."
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --console --netns $ns \
	--initrd "$run/initrd.cpio.gz" \
	--guest "$top/tools/testing/hv/boot/show.guest.sh" --timeout 240 -- \
	--scsi --disk="$run/scsi-disk.img" --ide --nic=tap=$tap --echo || {
	echo "make run: the guest did not finish; logs in $run" >&2
	exit 1
}
echo
echo "make run: done; logs in $run (console.log, hvhost.log)"
