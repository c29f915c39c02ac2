#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-initramfs.sh KVER OUTPUT [--storage|--net]
#
# Build the base initramfs for the boot tests: busybox, kmod (a real
# modprobe that resolves modaliases), ethtool, iperf3, Debian's 8021q module, this tree's modules for KVER
# installed under /lib/modules/<release>/extra and depmod'ed, and /init.
# --storage adds what disk tests need: Debian's SCSI, ext4, isofs, virtio-blk and
# null_blk modules with their dependencies, fio, mkfs.ext4, sg3-utils'
# sg_raw, sg_inq and sg_turs, blkdiscard, sfdisk (large: fio brings its
# libraries), and kexec with the kernel image as /boot/vmlinuz (for the
# kexec scenario). --net adds Debian's virtio-net modules (the network
# bench's reference NIC). A scenario is appended later as a second cpio
# archive (see hv-boot.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: hv-initramfs.sh KVER OUTPUT [--storage|--net]"
kver=${1:?$usage}
output=${2:?$usage}
# ethtool, iperf3 and 802.1Q for the NIC scenarios; the storage image adds
# its tools.
kernel_modules=(8021q) binaries=(/usr/sbin/ethtool /usr/bin/iperf3)
case "${3:-}" in
"") ;;
--storage)
	kernel_modules+=(scsi_mod sd_mod ext4 isofs virtio_pci virtio_blk null_blk)
	binaries+=(/usr/bin/fio /sbin/mke2fs /sbin/e2fsck /usr/bin/sg_raw
		  /usr/bin/sg_inq /usr/bin/sg_turs /usr/sbin/blkdiscard
		  /usr/sbin/kexec /usr/sbin/sfdisk) ;;
--net) kernel_modules+=(virtio_pci virtio_net) ;;
*) echo "$usage" >&2; exit 2 ;;
esac

die() { echo "hv-initramfs: $*" >&2; exit 1; }

kroot=$("$top/scripts/hv-kernel.sh" "$kver")
rel=$(cat "$kroot/release")
build=$top/out/$rel
ls "$build"/drivers/hv/vmbus/*.ko >/dev/null 2>&1 ||
	die "no modules in $build: run 'make modules KVER=$kver' first"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,lib64} \
	"$root/lib/modules/$rel/extra" "$root/lib/x86_64-linux-gnu"

cp /bin/busybox "$root/bin/busybox"

# A binary and the shared libraries it needs.
copy_binary() {
	local bin=$1 lib
	cp -L "$bin" "$root/sbin/"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		case "$lib" in
		/lib64/*) cp -L "$lib" "$root/lib64/" ;;
		*) cp -L "$lib" "$root/lib/x86_64-linux-gnu/" ;;
		esac
	done
}
copy_binary /usr/bin/kmod
for tool in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -sf kmod "$root/sbin/$tool"
done
for extra in "${binaries[@]}"; do
	[ -x "$extra" ] || die "$extra: not an executable"
	copy_binary "$extra"
done
# mke2fs picks the file system type from the name it is called by.
if [ -f "$root/sbin/mke2fs" ]; then
	ln -sf mke2fs "$root/sbin/mkfs.ext4"
	[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
fi

# kexec needs a kernel to load: the one this image boots with.
if [ -f "$root/sbin/kexec" ]; then
	mkdir -p "$root/boot"
	cp "$kroot/boot/vmlinuz-$rel" "$root/boot/vmlinuz"
fi

mods=$root/lib/modules/$rel
# The modules of the last build (modules.order, which names .o files on
# 6.12 and .ko files on 6.1), not every .ko under out/: one left behind by
# a module that moved folders would shadow the new one.
sed -n 's/\.o$/.ko/; /\.ko$/p' "$build/modules.order" | while read -r ko; do
	case "$ko" in /*) ;; *) ko=$build/$ko ;; esac
	cp "$ko" "$mods/extra/"
done
[ -f "$mods/extra/hv_vmbus.ko" ] ||
	die "$build/modules.order names no hv_vmbus.ko: rebuild the modules"
cp "$kroot/lib/modules/$rel"/modules.{builtin,builtin.modinfo,order} "$mods/"
for m in "${kernel_modules[@]}"; do
	# 8021q only serves a VLAN check, which a kernel without it (the
	# debug kernel's config has no VLANs) skips.
	if [ "$m" = 8021q ] &&
	   ! grep -q '^CONFIG_VLAN_8021Q=' "$kroot/boot/config-$rel" 2>/dev/null; then
		continue
	fi
	modprobe -d "$kroot" -S "$rel" --show-depends "$m" |
	while read -r cmd path _; do
		[ "$cmd" = insmod ] || continue
		rel_path=${path#"$kroot"/lib/modules/"$rel"/}
		mkdir -p "$mods/$(dirname "$rel_path")"
		cp "$path" "$mods/$rel_path"
	done
done
depmod -b "$root" "$rel"

cp "$top/tools/testing/hv/boot/init" "$root/init"
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$output.tmp"
mv "$output.tmp" "$output"
