#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The distro tier: a real Debian 12 guest under hvhost (see
# Documentation/hv/testing.rst). Builds or reuses the cached root file
# system (scripts/hv-rootfs.sh: systemd, both kernels, hv-drivers-dkms
# with DKMS's modules), then boots it twice with its own kernel and
# initramfs:
#   scsi  6.12, root on the SCSI disk (hv_storvsc); a data disk is
#         hot-added, formatted and mounted by a mount unit;
#   ide   6.1, root on an IDE disk (hv_blkvsc), the data disk on SCSI
#         from the start: its mount unit mounts it, the data is there.
# Both: the NIC up under systemd-networkd, ping and a file over TCP each
# way in a network namespace of this tier's, the checks of guest.sh, a
# clean power-off, and e2fsck -fn of the root partition afterwards.
# Before the boots, package.sh removes and installs the package again in
# a chroot of a copy of the image.
set -uo pipefail

HV_TOP=$(cd "$(dirname "$0")/../../../.." && pwd)
export HV_TOP
here=$HV_TOP/tools/testing/hv/distro
. "$HV_TOP/tools/testing/hv/boot/lib.sh"

if ! make -s -C "$HV_TOP/tools/hv/hvhost" > /dev/null; then
	echo "FAIL: distro: hvhost does not build"
	exit 1
fi
start=$SECONDS
if ! rootfs=$("$HV_TOP/scripts/hv-rootfs.sh"); then
	echo "FAIL: distro: the root file system does not build"
	exit 1
fi
echo "  | distro: root file system ready in $((SECONDS - start)) s: $rootfs"
# shellcheck disable=SC1091
. "$rootfs/env"
t=$SECONDS
"$here/package.sh" "$rootfs"
echo "  | distro: package removal and reinstall checked in $((SECONDS - t)) s"

HV_RUNS=$HV_TOP/out/runs/distro
rm -rf "$HV_RUNS"
mkdir -p "$HV_RUNS"
ns=hvdistro$$ tap=hvdtap0
HOST4=192.168.79.1 GUEST4=192.168.79.2
SCSI_ID=7d15c0de-1111-4222-8333-444455556601
DATA_UUID=5e1f0c2a-4b7d-4c1e-9a3f-68d0e2b1a002
ROOT=$HV_RUNS/root.img DATA=$HV_RUNS/data.img XFER=$HV_RUNS/xfer.bin
NS=$ns
# shellcheck disable=SC2064
trap "ip netns del $ns 2>/dev/null" EXIT
hv_netns $ns $tap $HOST4/24 ||
	{ echo "FAIL: distro: cannot create network namespace $ns"; exit 1; }
cp --sparse=always "$rootfs/disk.img" "$ROOT"
truncate -s 64M "$DATA"
head -c 8M /dev/urandom > "$XFER"

# release KVER: the image's kernel of that series.
release() {
	local r
	for r in $KERNELS; do
		case "$r" in "$1".*) echo "$r"; return ;; esac
	done
}

# put_scenario: guest.sh and its values into the root partition.
put_scenario() {
	local s=$HV_RUNS/scenario.sh img="$ROOT?offset=$PART_OFFSET"
	{ hv_vars ROLE MODS ROOT_DEV ROOT_DRIVER DATA_UUID GUEST4; cat "$here/guest.sh"; } > "$s"
	debugfs -w -R "rm /usr/local/lib/hv/scenario.sh" "$img" > /dev/null 2>&1
	debugfs -w -R "mkdir /usr/local/lib/hv" "$img" > /dev/null 2>&1
	debugfs -w -R "write $s /usr/local/lib/hv/scenario.sh" "$img" 2>&1 |
		grep -v '^debugfs\|Allocated inode'
}

# boot NAME KVER [hvhost options]: one boot of the image and its checks.
boot() {
	local name=$1 t=$SECONDS host=$HV_RUNS/$1.host.sh
	KVER=$2
	shift 2
	rel=$(release "$KVER")
	HV_INITRD=$rootfs/initrd.img-$rel
	put_scenario
	{ hv_vars ROLE NS GUEST4 DATA SCSI_ID XFER; cat "$here/host.sh"; } > "$host"
	hv_boot "$name" --kernel "$rootfs/vmlinuz-$rel" --mem 1G --timeout 900 \
		--netns "$ns" --host "$host" --append "root=UUID=$ROOT_UUID ro" \
		-- "$@"
	hv_report "$name"
	echo "  | distro: $KVER: $name: boot to power-off in $((SECONDS - t)) s ($(grep -a -o 'multi-user.target reached [0-9]* s' "$HV_RUN/console.log" | head -n 1))"
	HV_CHECK_PREFIX="$KVER: $name: host: "
	check "the guest powered off (reboot: Power down)" \
		grep -aq 'reboot: Power down' "$HV_RUN/console.log"
	check "no failure on the way down" sh -c \
		"! sed -n '/^HV-GUEST: done/,\$p' '$HV_RUN/console.log' | grep -aE 'FAILED|Failed|timed out'"
	check "e2fsck -fn of the root partition finds nothing to fix" \
		e2fsck -fn "$ROOT?offset=$PART_OFFSET"
	unset HV_CHECK_PREFIX
}

ROLE=hotadd ROOT_DEV=/dev/sda1 ROOT_DRIVER=hv_storvsc
MODS="hv_vmbus hv_vmbus_emu hv_vstor hv_storvsc hv_netvsc"
boot scsi 6.12 --scsi="$SCSI_ID" --disk="$ROOT" --nic=tap=$tap

ROLE=reboot ROOT_DEV=/dev/hda1 ROOT_DRIVER=hv_blkvsc
MODS="hv_vmbus hv_vmbus_emu hv_vstor hv_storvsc hv_blkvsc hv_netvsc"
boot ide 6.1 --ide-disk="$ROOT" --scsi="$SCSI_ID" --disk="$DATA" --nic=tap=$tap
HV_CHECK_PREFIX="distro: " check "e2fsck -fn of the data disk finds nothing to fix" \
	e2fsck -fn "$DATA"
