#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-run.sh KVER: what `make run` does. Boots a guest under hvhost with a
# SCSI controller holding a disk image, an IDE disk, a DVD drive with an
# ISO, a NIC and an echo test device, loads the drivers through their
# modaliases and shows what the VMBus found, the disks at work and the
# NIC pinging across its TAP (which lives in a network namespace of its
# own, deleted on exit). It ends with a summary; the guest's whole console
# and its dmesg go to the log files it names.
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
ns=hvrun$$ tap=hvrun0
trap 'ip netns del $ns 2>/dev/null' EXIT
. "$top/tools/testing/hv/boot/lib.sh"
hv_netns $ns $tap 192.168.78.1/24
"$top/scripts/hv-initramfs.sh" "$kver" "$run/initrd.cpio.gz" --storage

echo "Booting Debian's $kver kernel (QEMU TCG) under hvhost; about a minute."
start=$SECONDS
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --netns $ns \
	--initrd "$run/initrd.cpio.gz" \
	--guest "$top/tools/testing/hv/boot/show.guest.sh" --timeout 240 -- \
	--scsi --disk="$run/scsi-disk.img" --ide-disk="$run/ide-disk.img" \
	--dvd="$run/dvd.iso,ctrl=1" --nic=tap=$tap --echo || {
	echo "make run: the guest did not finish; the end of its console:" >&2
	tail -n 20 "$run/console.log" >&2
	echo "make run: logs in $run (console.log, hvhost.log)" >&2
	exit 1
}
sed -n '/^HV-GUEST: dmesg begin/,/^HV-GUEST: dmesg end/p' "$run/console.log" |
	sed '1d;$d' > "$run/dmesg.log"
console=$run/console.log
cat <<SUMMARY

make run: $(grep -a -o 'HV-GUEST: booted [^ ]*' "$console" | cut -d' ' -f3) under hvhost, $((SECONDS - start)) s
  hvhost offered: a SCSI controller with a 64 MiB disk, a 32 MiB IDE disk,
  a DVD drive with an ISO, a NIC on TAP $tap (namespace $ns), an echo device

$(grep -a '^SHOW: ' "$console" | sed 's/^SHOW: /  /' | grep -v '^  checked: ')

What was checked:
$(grep -a '^SHOW: checked: ' "$console" | sed 's/^SHOW: checked: /  /')

Kernel warnings or errors: $(grep -acE 'WARNING:|BUG:|Oops|Call Trace' "$console")
Logs: $console (the guest's whole console)
      $run/dmesg.log (its dmesg)
      $run/hvhost.log (hvhost)
SUMMARY
! grep -aq '^SHOW: checked: .*FAILED' "$console"
