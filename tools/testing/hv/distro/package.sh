#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# package.sh ROOTFS: the package's install and removal, in a chroot of a
# copy of the distro image's root file system (no boot). Removal must
# take our modules out of both kernels (depmod and modinfo name the
# kernel's own again) and our drivers out of each initramfs; installing
# it again with one kernel's headers gone must build for the other,
# name the kernel without headers, and leave it its own modules.
set -uo pipefail

HV_TOP=$(cd "$(dirname "$0")/../../../.." && pwd)
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
rootfs=${1:?usage: package.sh ROOTFS}
# shellcheck disable=SC1091
. "$rootfs/env"
HV_CHECK_PREFIX="distro: package: "

root=$(mktemp -d "$HV_TOP/out/runs/distro-package.XXXXXX")
cleanup() {
	umount "$root/proc" "$root/sys" "$root/dev" 2>/dev/null
	rm -rf "$root"
}
trap cleanup EXIT
debugfs -R "rdump / $root" "$rootfs/disk.img?offset=$PART_OFFSET" > /dev/null 2>&1
mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" &&
	mount --bind /dev "$root/dev" || { hv_fail "cannot set up the chroot"; exit 0; }
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"; }

# ours_in K: modinfo -n hv_vmbus of kernel K is the DKMS copy;
# initrd_has K: K's initramfs holds our hv_vmbus_emu.
ours_in() { in_root modinfo -k "$1" -n hv_vmbus | grep '/updates/dkms/' > /dev/null; }
initrd_has() { in_root lsinitramfs "/boot/initrd.img-$1" | grep 'hv_vmbus_emu\.ko' > /dev/null; }

for k in $KERNELS; do
	check "$k: installed, modinfo hv_vmbus names the DKMS copy" ours_in "$k"
	check "$k: installed, the initramfs holds our drivers" initrd_has "$k"
done
deb=$(ls "$HV_TOP"/out/deb/hv-drivers-dkms_*_all.deb)
in_root dpkg -r hv-drivers-dkms > "$root/../package-remove.log" 2>&1
check "dpkg -r hv-drivers-dkms succeeds" [ $? = 0 ]
for k in $KERNELS; do
	check "$k: removed, modinfo hv_vmbus names the kernel's own" sh -c \
		"chroot '$root' modinfo -k '$k' -n hv_vmbus | grep -q '/kernel/drivers/hv/'"
	check "$k: removed, the initramfs has no hv_vmbus_emu" sh -c \
		"! chroot '$root' lsinitramfs /boot/initrd.img-$k | grep -q hv_vmbus_emu"
done

set -- $KERNELS
with=$1 without=$2
in_root dpkg -r "linux-headers-$without" > /dev/null 2>&1
cp "$deb" "$root/tmp/"
out=$(in_root dpkg -i "/tmp/${deb##*/}" 2>&1)
check "dpkg -i succeeds with $without's headers gone" [ $? = 0 ]
check "$with: modinfo hv_vmbus names the DKMS copy again" ours_in "$with"
check "$without: keeps the kernel's own hv_vmbus" sh -c \
	"chroot '$root' modinfo -k '$without' -n hv_vmbus | grep -q '/kernel/drivers/hv/'"
check "the install names $without as having no headers" \
	grep -q "kernel $without has no headers" <<< "$out"
