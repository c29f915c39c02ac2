#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-bench.sh KVER: benchmarks, printed, never asserted. For now the echo
# channel: packets/s and MB/s at several packet sizes, inband and
# GPA-direct, in one guest boot.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-6.12}
run=$top/out/runs/bench
rm -rf "$run"
mkdir -p "$run"
guest=$run/bench.guest.sh

cat > "$guest" <<'GUEST'
modprobe hv_vmbus
wait_until 10 sh -c "ls $VMBUS | grep -q ."
for d in "$VMBUS"/*; do modprobe -q "$(cat "$d/modalias")" 2>/dev/null; done
d=$(for x in "$VMBUS"/*; do [ -e "$x/run" ] && echo "$x"; done | head -n 1)
wait_until 10 test -e "$d/run"
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
