#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-run-debian.sh [6.12|6.1]: what `make run-debian` does. Boots the
# distro tier's Debian 12 guest (scripts/hv-rootfs.sh) under hvhost for a
# person, its serial console on this terminal: root on the synthetic SCSI
# disk, a second SCSI disk and an IDE disk (empty, out/runs/run-debian/),
# the NIC up under systemd-networkd as 192.168.79.2 with the host's TAP
# at 192.168.79.1 in a network namespace of its own (deleted on exit).
# Log in as root (no password); `poweroff` ends it. The root image is
# kept between runs (until the image is built anew); delete
# out/runs/run-debian to start afresh.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
case "$kver" in 6.12 | 6.1) ;; *) echo "hv-run-debian: KVER is 6.12 or 6.1" >&2; exit 2 ;; esac
rootfs=$("$top/scripts/hv-rootfs.sh")
# shellcheck disable=SC1091
. "$rootfs/env"
rel=""
for r in $KERNELS; do
	case "$r" in "$kver".*) rel=$r ;; esac
done

run=$top/out/runs/run-debian
mkdir -p "$run"
# A root image made from another build of the image is made afresh.
if [ ! -f "$run/root.img" ] || [ "$(cat "$run/rootfs" 2>/dev/null)" != "$rootfs" ]; then
	cp --sparse=always "$rootfs/disk.img" "$run/root.img"
	echo "$rootfs" > "$run/rootfs"
fi
[ -f "$run/scsi-data.img" ] || truncate -s 256M "$run/scsi-data.img"
[ -f "$run/ide-data.img" ] || truncate -s 128M "$run/ide-data.img"
ns=hvdeb$$ tap=hvdebtap0
trap 'ip netns del $ns 2>/dev/null' EXIT
. "$top/tools/testing/hv/boot/lib.sh"
hv_netns $ns $tap 192.168.79.1/24

cat <<MSG
Booting Debian 12 ($rel, QEMU TCG) under hvhost: root on the SCSI disk
(sda1), a data disk sdb, an IDE disk hda, the NIC as 192.168.79.2.
The first boot takes a few minutes under TCG. Log in as root (no
password); 'poweroff' ends the run. From another terminal, the host side:
  ip netns exec $ns ping 192.168.79.2
Logs: $run (console.log, hvhost.log)
MSG
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --serial-stdio \
	--netns $ns --kernel "$rootfs/vmlinuz-$rel" \
	--initrd "$rootfs/initrd.img-$rel" --mem 1G --timeout 86400 \
	--append "root=UUID=$ROOT_UUID ro" -- \
	--scsi --disk="$run/root.img" --disk="$run/scsi-data.img" \
	--ide-disk="$run/ide-data.img" --nic=tap=$tap || true
grep -aq 'reboot: Power down' "$run/console.log" &&
	echo "run-debian: the guest powered off" ||
	{ echo "run-debian: the guest did not power off cleanly; logs in $run" >&2; exit 1; }
