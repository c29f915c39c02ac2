#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-bench.sh KVER: benchmarks, printed, never asserted.
#  - the echo channel: packets/s and MB/s at several packet sizes, inband
#    and GPA-direct, in one guest boot;
#  - hv_blkvsc, hv_storvsc and virtio-blk on the same image file on tmpfs,
#    side by side in one guest: fio 4 KiB random read at QD1 and QD32
#    (IOPS) and 1 MiB sequential read (MB/s), with blkvsc's ratio to each.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
run=$top/out/runs/bench
rm -rf "$run"
mkdir -p "$run"
guest=$run/bench.guest.sh

cat > "$guest" <<'GUEST'
vmbus_up
wait_until 10 sh -c "ls $VMBUS | grep -q ."
for d in "$VMBUS"/*; do modprobe -q "$(cat "$d/modalias")" 2>/dev/null; done
d=$(for x in "$VMBUS"/*; do echo_ready "$x" && echo "$x"; done | head -n 1)
wait_until 10 echo_ready "$d"
for mode in inband gpadirect; do
	for size in 64 512 4096 16384; do
		r=$(echo_run "$d" 20000 $size $size $mode)
		echo "BENCH: $mode $size $r"
	done
done
GUEST

"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run" --guest "$guest" \
	--timeout 900 -- --echo > /dev/null || {
	echo "bench: the guest did not finish; see $run/console.log" >&2
	exit 1
}

echo "echo channel throughput ($kver guest, QEMU TCG, 2 vCPUs; 20000 packets each)"
printf '%-10s %8s %12s %10s\n' mode bytes packets/s MB/s
grep -a '^BENCH: ' "$run/console.log" | while read -r _ mode size rest; do
	ns=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^elapsed_ns=//p')
	n=$(echo "$rest" | tr ' ' '\n' | sed -n 's/^verified=//p')
	[ -n "$ns" ] && [ "$ns" -gt 0 ] || { echo "$mode $size: no timing"; continue; }
	awk -v m="$mode" -v s="$size" -v n="$n" -v ns="$ns" 'BEGIN {
		pps = n / (ns / 1e9);
		printf "%-10s %8d %12.0f %10.1f\n", m, s, pps, pps * s / 1e6 }'
done

# ---- storage: hv_blkvsc vs hv_storvsc vs virtio-blk ----------------------
ctrl=88888888-2222-4333-8444-555555555500
ide=00000000-0000-8899-0000-000000000000
img=/dev/shm/hvbench-$$.img
trap 'rm -f "$img"' EXIT
head -c 256M /dev/urandom > "$img"
storage_initrd=$run/storage.cpio.gz
"$top/scripts/hv-initramfs.sh" "$kver" "$storage_initrd" --storage
guest=$run/bench-storage.guest.sh
cat > "$guest" <<GUEST
load_vmbus_drivers
modprobe virtio_pci 2>/dev/null
modprobe virtio_blk
wait_until 30 sd_present $ctrl 0
wait_until 30 test -b /dev/vda
wait_until 30 hd_present $ide
sd=\$(sd_of $ctrl 0)
hd=\$(hd_of $ide)
job() {	# NAME RW BS QD DEV
	fio --name=\$1 --filename=\$5 --rw=\$2 --bs=\$3 --iodepth=\$4 \
		--ioengine=libaio --direct=1 --runtime=8 --time_based \
		--output-format=terse --terse-version=3 | cut -d';' -f7,8
}
for t in "randread-qd1 randread 4k 1" "randread-qd32 randread 4k 32" "seqread-1m read 1m 8"; do
	set -- \$t
	echo "BENCH-IO: \$1 blkvsc \$(job \$1 \$2 \$3 \$4 \$hd)"
	echo "BENCH-IO: \$1 storvsc \$(job \$1 \$2 \$3 \$4 \$sd)"
	echo "BENCH-IO: \$1 virtio \$(job \$1 \$2 \$3 \$4 /dev/vda)"
done
GUEST
"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run/storage" \
	--initrd "$storage_initrd" --guest "$guest" --timeout 900 \
	--qemu "-drive file=$img,if=virtio,format=raw,readonly=on" -- \
	--scsi="$ctrl" --disk="$img,ro" --ide-disk="$img,ro" > /dev/null || {
	echo "bench: the storage guest did not finish; see $run/storage/console.log" >&2
	exit 1
}

echo
echo "storage: hv_blkvsc vs hv_storvsc vs virtio-blk, same 256 MiB image on tmpfs ($kver guest, TCG, 2 vCPUs, fio libaio direct, 8 s each)"
printf '%-14s %14s %14s %14s %9s %9s\n' test blkvsc storvsc virtio-blk blk/stor blk/virt
grep -a '^BENCH-IO: ' "$run/storage/console.log" | awk '
	# terse v3 fields 7 and 8: read bandwidth (KiB/s) and read IOPS
	{ split($4, f, ";"); bw[$2, $3] = f[1]; iops[$2, $3] = f[2]; tests[$2] = 1 }
	END {
		n = split("randread-qd1 randread-qd32 seqread-1m", order, " ")
		for (i = 1; i <= n; i++) {
			t = order[i]
			if (!(t in tests)) continue
			if (t ~ /seqread/) {
				h = bw[t, "blkvsc"] / 1024; a = bw[t, "storvsc"] / 1024
				b = bw[t, "virtio"] / 1024; u = "MiB/s"
			} else {
				h = iops[t, "blkvsc"]; a = iops[t, "storvsc"]
				b = iops[t, "virtio"]; u = "IOPS"
			}
			printf "%-14s %8.0f %-5s %8.0f %-5s %8.0f %-5s %9.2f %9.2f\n", t, h, u, a, u, b, u,
				(a > 0 ? h / a : 0), (b > 0 ? h / b : 0)
		}
	}'
