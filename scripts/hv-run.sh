#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-run.sh KVER: what `make run` does. Boots a guest under hvhost with a
# SCSI controller holding a disk image, an IDE disk, a DVD drive with an
# ISO, a network offer and an echo test device, loads the drivers through their modaliases and shows what
# the VMBus found and the disk at work.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
run=$top/out/runs/make-run
rm -rf "$run"
mkdir -p "$run"

truncate -s 64M "$run/scsi-disk.img"
truncate -s 32M "$run/ide-disk.img"
mkdir -p "$run/iso" && echo "hello from the host's ISO" > "$run/iso/hello.txt"
xorriso -as mkisofs -quiet -R -o "$run/dvd.iso" "$run/iso" 2>/dev/null
"$top/scripts/hv-initramfs.sh" "$kver" "$run/initrd.cpio.gz" --storage

echo "Booting Debian's $kver kernel (QEMU TCG) under hvhost; guest console follows."
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --console \
	--initrd "$run/initrd.cpio.gz" \
	--guest "$top/tools/testing/hv/boot/show.guest.sh" --timeout 240 -- \
	--scsi --disk="$run/scsi-disk.img" --ide-disk="$run/ide-disk.img" \
	--dvd="$run/dvd.iso,ctrl=1" --nic --echo || {
	echo "make run: the guest did not finish; logs in $run" >&2
	exit 1
}
echo
echo "make run: done; logs in $run (console.log, hvhost.log)"
