#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-rootfs.sh: the Debian 12 guest for the distro tier and make
# run-debian. mmdebstrap (minbase, from the machine's own apt sources)
# with systemd, udev, kmod, iproute2, e2fsprogs, Debian's 6.12 and 6.1
# kernels and their headers, and this tree's hv-drivers-dkms package
# (make deb), installed with apt, so that DKMS builds the modules for both
# kernels and the package's hook puts them into each initramfs. The
# files of tools/testing/hv/distro/rootfs are laid over it. The result is
# a raw disk image with a partition table, the root file system on its
# first partition, cached under $HV_CACHE/distro/bookworm-KEY (KEY: a hash
# of the inputs: this script, the overlay, the package, the kernels).
# Prints that folder: disk.img, vmlinuz-REL and initrd.img-REL of each
# kernel, and env (ROOT_UUID, KERNELS, PART_OFFSET).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${HV_CACHE:-/var/cache/hvdrivers}
overlay=$top/tools/testing/hv/distro/rootfs
die() { echo "hv-rootfs: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap and the image's owners)"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (run scripts/hv-deps.sh)"

# The machine's own Debian sources, as its apt uses them.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	 /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && grep -qv '^[[:space:]]*\(#\|$\)' "$f" && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || die "no apt sources on this machine"

deb=$("$top/scripts/hv-deb.sh" 2>/dev/null | tail -n 1)
[ -f "$deb" ] || die "make deb failed (see out/deb/build.log)"
kernels=""
for kver in 6.12 6.1; do
	kroot=$("$top/scripts/hv-kernel.sh" "$kver")
	kernels="$kernels $(cat "$kroot/release")"
done
kernels=${kernels# }

key=$({ cat "$0"; sha256sum "$deb" | cut -d' ' -f1; echo "$kernels";
	(cd "$overlay" && find . -type f | sort | xargs sha256sum); } |
	sha256sum | cut -c1-16)
dest=$cache/distro/bookworm-$key
mkdir -p "$cache/distro"
# One build at a time: make check may have started one in the background.
exec 9> "$cache/distro/lock"
flock 9
if [ -f "$dest/.complete" ]; then
	echo "$dest"
	exit 0
fi

# A fixed UUID: the image is a test fixture, and its kernel command line
# and fstab name it.
uuid=5e1f0c2a-4b7d-4c1e-9a3f-68d0e2b1a001
part_offset=$((1024 * 1024))
size_mib=3072
pkgs=systemd,systemd-sysv,udev,kmod,iproute2,e2fsprogs,initramfs-tools,zstd,dkms
for rel in $kernels; do
	pkgs=$pkgs,linux-image-$rel,linux-headers-$rel
done

work=$dest.tmp
rm -rf "$work" "$dest"
mkdir -p "$work"
start=$SECONDS
# Each kernel, dkms and our package would rebuild the initramfs images,
# several minutes in all: update-initramfs is a no-op until the packages
# are in, then makes each kernel's once.
noop=/usr/sbin/update-initramfs
mmdebstrap --variant=minbase --include="$pkgs" \
	--essential-hook="chroot \"\$1\" dpkg-divert --quiet --local --rename --divert $noop.hv --add $noop" \
	--essential-hook="printf '#!/bin/sh\nexit 0\n' > \"\$1$noop\"; chmod 755 \"\$1$noop\"" \
	--customize-hook="sync-in '$overlay' /" \
	--customize-hook="copy-in '$deb' /tmp" \
	--customize-hook='chroot "$1" apt-get install -y /tmp/'"$(basename "$deb")" \
	--customize-hook='rm -f "$1"/tmp/*.deb' \
	--customize-hook="rm \"\$1$noop\"; chroot \"\$1\" dpkg-divert --quiet --local --rename --remove $noop" \
	--customize-hook='chroot "$1" update-initramfs -c -k all' \
	--customize-hook='chroot "$1" passwd --delete root' \
	--customize-hook="echo 'UUID=$uuid / ext4 errors=remount-ro 0 1' > \"\$1/etc/fstab\"" \
	--customize-hook='chroot "$1" systemctl enable systemd-networkd hv-scenario.service hv-put.socket hv-get.socket' \
	--customize-hook='mkdir -p "$1/var/log/journal"' \
	--customize-hook="copy-out /boot '$work'" \
	bookworm "$work/root" "${sources[@]}" > "$work/mmdebstrap.log" 2>&1 ||
	{ tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed (log: $work/mmdebstrap.log)"; }
echo "hv-rootfs: mmdebstrap took $((SECONDS - start)) s" >&2

for rel in $kernels; do
	for m in hv_vmbus hv_vmbus_emu hv_vstor hv_storvsc hv_blkvsc hv_netvsc; do
		ls "$work/root/lib/modules/$rel/updates/dkms/$m.ko"* >/dev/null 2>&1 ||
			die "DKMS did not install $m for $rel (log: $work/mmdebstrap.log)"
	done
	cp "$work/boot/vmlinuz-$rel" "$work/boot/initrd.img-$rel" "$work/"
done

img=$work/disk.img
truncate -s $((size_mib + 2))M "$img"
echo "start=2048, type=83" | sfdisk -q "$img"
mke2fs -q -t ext4 -L hvroot -U "$uuid" -E offset=$part_offset -d "$work/root" \
	"$img" "${size_mib}M"
rm -rf "$work/root" "$work/boot"
cat > "$work/env" <<ENV
ROOT_UUID=$uuid
KERNELS='$kernels'
PART_OFFSET=$part_offset
ENV
touch "$work/.complete"
mv "$work" "$dest"
# Images of other inputs are of no more use, and each is 3 GiB.
for old in "$cache"/distro/bookworm-*; do
	[ "$old" = "$dest" ] || rm -rf "$old"
done
echo "hv-rootfs: built $dest in $((SECONDS - start)) s" >&2
echo "$dest"
