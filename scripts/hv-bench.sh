#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-bench.sh KVER: benchmarks, printed, never asserted.
#
# Each comparison runs its pair interleaved (A, B, A, B, ...) for several
# rounds in one guest boot, and is reported as min / median / max of the
# rounds and the ratio of the medians, so that one noisy moment on a shared
# machine does not decide a row:
#  - the echo channel: packets/s and MB/s at several packet sizes, inband
#    and GPA-direct, and the round-trip latency with one packet in flight
#    (median and 99th percentile), the bound of every device's QD1 result
#    (without monitored notification, whose 1 ms poll it would measure);
#  - hv_blkvsc and hv_storvsc against virtio-blk, each on an image of its
#    own on tmpfs (the same bytes), in one guest: fio 4 KiB random read at
#    QD1 and QD32, 4 KiB random write at QD32 (IOPS), 1 MiB sequential read
#    and write (MiB/s); and 4 KiB random read at QD32 with 1 vCPU and with
#    2 (the scaling ratio);
#  - the breakdown: one 4 KiB read in flight on each of those disks, its
#    cycle split by the guest's tracepoints (submit, out of the guest,
#    completion, turnaround), hvhost's share from its counters, and the
#    host CPU time of QEMU's threads and hvhost per I/O (perf stat);
#  - hv_netvsc against virtio-net, each on a TAP of its own in one network
#    namespace (made and deleted here, no route out), in one guest: iperf3
#    TCP guest->host and host->guest with 1 and 4 streams (Mbit/s), and
#    the request/response latency of 500 ICMP echoes 2 ms apart (median
#    and 99th percentile).
# HV_BENCH_ROUNDS (default 5) and HV_BENCH_SECONDS (per fio job and
# iperf3 run, default 5) set the length; HV_BENCH_GROUPS (default "echo
# storage breakdown net") picks the comparisons. The tables go to out/bench/ as CSV
# too, with a PNG chart of the ratios.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# hv_vars: the scenario values a guest script starts with.
. "$top/tools/testing/hv/boot/lib.sh"
kver=${1:-6.12}
rounds=${HV_BENCH_ROUNDS:-5}
seconds=${HV_BENCH_SECONDS:-5}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench: HV_BENCH_ROUNDS must be a positive number" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "bench: HV_BENCH_SECONDS must be a positive number" >&2; exit 2; }
groups=${HV_BENCH_GROUPS:-echo storage breakdown net}
for g in $groups; do
	case $g in echo|storage|breakdown|net) ;; *) echo "bench: HV_BENCH_GROUPS: unknown group $g (echo storage breakdown net)" >&2; exit 2 ;; esac
done
want() { [[ " $groups " == *" $1 "* ]]; }
"$top/scripts/hv-deps.sh" bench
run=$top/out/runs/bench
out=$top/out/bench
rm -rf "$run" "$out"
mkdir -p "$run" "$out"
samples=$out/samples.csv
echo "group,row,unit,device,round,value" > "$samples"

machine() {
	local cpu rel
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	rel=$(cat "$("$top/scripts/hv-kernel.sh" "$kver")/release")
	echo "machine: ${cpu:-unknown CPU}, $(nproc) cores; host $(uname -r); guest $rel under $(qemu-system-x86_64 --version | head -n 1), TCG"
	echo "rounds: $rounds, interleaved; fio jobs of $seconds s"
}

# boot NAME GUEST [hv-boot.sh options] -- [hvhost options]
boot() {
	local name=$1 guest=$2
	shift 2
	"$top/scripts/hv-boot.sh" --kver "$kver" --run "$run/$name" \
		--guest "$guest" --timeout 900 "$@" > /dev/null || {
		echo "bench: the $name guest did not finish; see $run/$name/console.log" >&2
		exit 1
	}
	# SAMPLE: GROUP ROW UNIT DEVICE ROUND VALUE
	grep -a '^SAMPLE: ' "$run/$name/console.log" | tr -d '\r' |
		cut -d' ' -f2- | tr ' ' ',' >> "$samples"
}

img_hv=/dev/shm/hvbench-$$-hv.img
img_ide=/dev/shm/hvbench-$$-ide.img
img_virtio=/dev/shm/hvbench-$$-virtio.img
ns=hvbench$$
hv_tap=hvbt$$ v_tap=hvbv$$
# The TAPs may be gone with the namespace already: the clean-up never
# decides the exit status.
cleanup() {
	rm -f "$img_hv" "$img_ide" "$img_virtio"
	ip netns del $ns 2>/dev/null || true
	ip link del $v_tap 2>/dev/null || true
}
trap cleanup EXIT

# ---- the echo channel -------------------------------------------------
if want echo; then
guest=$run/echo.guest.sh
{
	echo "rounds=$rounds"
	cat <<'GUEST'
first_echo() {
	local x
	for x in "$VMBUS"/*; do echo_ready "$x" && { echo "$x"; return 0; }; done
	return 1
}
load_vmbus_drivers
wait_until 10 first_echo > /dev/null
d=$(first_echo)
for round in $(seq 1 $rounds); do
	for mode in inband gpadirect; do
		for size in 64 512 4096 16384; do
			r=$(echo_run "$d" 20000 $size $size $mode)
			ns=$(field elapsed_ns "$r"); n=$(field verified "$r")
			echo "SAMPLE: echo $mode-$size pkt/s hv $round $((n * 1000000000 / ns))"
		done
	done
	for mode in inband gpadirect; do
		r=$(echo_latency "$d" 5000 64 64 $mode)
		echo "SAMPLE: echo rtt-$mode-64-p50 us hv $round $(($(field lat_p50_ns "$r") / 1000))"
		echo "SAMPLE: echo rtt-$mode-64-p99 us hv $round $(($(field lat_p99_ns "$r") / 1000))"
	done
done
GUEST
} > "$guest"
boot echo "$guest" -- --echo=nomonitor
fi

# ---- storage: hv_blkvsc and hv_storvsc vs virtio-blk --------------------
ctrl=88888888-2222-4333-8444-555555555500
ide=00000000-0000-8899-0000-000000000000
storage_initrd=$run/storage.cpio.gz
if want storage || want breakdown; then
head -c 256M /dev/urandom > "$img_hv"
cp "$img_hv" "$img_ide"
cp "$img_hv" "$img_virtio"
"$top/scripts/hv-initramfs.sh" "$kver" "$storage_initrd" --storage
fi
# The three disks of one guest, for the storage and breakdown boots.
storage_disks() {
	cat <<'GUEST'
load_vmbus_drivers
modprobe virtio_pci 2>/dev/null
modprobe virtio_blk
wait_until 30 sd_present $ctrl 0
wait_until 30 test -b /dev/vda
wait_until 30 hd_present $ide
sd=$(sd_of $ctrl 0)
hd=$(hd_of $ide)
GUEST
}

if want storage; then

# storage_guest ROWS: the guest script for these rows ("NAME RW BS QD").
storage_guest() {
	local rows=$1
	hv_vars rounds seconds ctrl ide rows
	storage_disks
	cat <<'GUEST'
# job NAME RW BS QD DEV: IOPS for 4 KiB, MiB/s for 1 MiB.
job() {
	local f
	f=$(fio --name=$1 --filename=$5 --rw=$2 --bs=$3 --iodepth=$4 \
		--ioengine=libaio --direct=1 --runtime=$seconds --time_based \
		--numjobs=1 --output-format=terse --terse-version=3)
	case $2 in
	*write) f=$(echo "$f" | cut -d';' -f48,49) ;;
	*) f=$(echo "$f" | cut -d';' -f7,8) ;;
	esac
	if [ $3 = 4k ]; then echo "IOPS ${f#*;}"; else echo "MiB/s $((${f%;*} / 1024))"; fi
}
for round in $(seq 1 $rounds); do
	echo "$rows" | while read -r name rw bs qd; do
		[ -n "$name" ] || continue
		for dev in blkvsc:$hd storvsc:$sd virtio:/dev/vda; do
			set -- $(job $name $rw $bs $qd ${dev#*:})
			echo "SAMPLE: storage $name $1 ${dev%%:*} $round $2"
		done
	done
done
GUEST
}

storage_boot() {	# NAME SMP ROWS
	storage_guest "$3" > "$run/$1.guest.sh"
	boot "$1" "$run/$1.guest.sh" --initrd "$storage_initrd" --smp "$2" \
		--qemu "-drive file=$img_virtio,if=virtio,format=raw,aio=io_uring" \
		-- --scsi="$ctrl" --disk="$img_hv" --ide-disk="$img_ide"
}
storage_boot storage 2 "randread-4k-qd1 randread 4k 1
randread-4k-qd32 randread 4k 32
randwrite-4k-qd32 randwrite 4k 32
seqread-1m read 1m 8
seqwrite-1m write 1m 8"
storage_boot storage-1cpu 1 "randread-4k-qd32-1vcpu randread 4k 32"
fi

# ---- breakdown: where one 4 KiB read's time goes --------------------------
# One request in flight (fio QD1) on each disk in turn, with the guest's
# tracepoints on: block_rq_issue, the driver's signal to the host (a kprobe
# on hv_emu_signal_event, virtio's vp_notify), the device's interrupt
# (irq_handler_entry) and block_rq_complete split each I/O's cycle into
# four guest-side stages. Meanwhile the host script counts the CPU time of
# QEMU's threads and of hvhost (perf stat) and takes hvhost's counters
# (its turnaround from a guest signal to its answer, and io_uring's time).
# host_breakdown: the breakdown boot's host-side rows, per I/O, from the
# host script's files: hvhost's turnaround and io_uring time (from its
# counters before and after each job) and the CPU time of QEMU's vCPU
# threads, its main thread, its other threads and hvhost, and the context
# switches of all of them (perf stat).
host_breakdown() {
	local round d b ios cls
	for round in $(seq 1 "$rounds"); do
		for d in blkvsc storvsc virtio; do
			b=$run/breakdown/brk-$d-$round
			ios=$(awk -F, -v d=$d -v r=$round '$1 == "breakdown" &&
				$2 == "ios" && $4 == d && $5 == r { print $6 }' "$samples")
			[ -f "$b.perf" ] && [ "${ios:-0}" -gt 0 ] || continue
			case $d in blkvsc) cls=ide ;; storvsc) cls=scsi ;; *) cls="" ;; esac
			[ -z "$cls" ] || cat "$b.pre" "$b.post" | awk -F= -v cls=$cls \
				-v d=$d -v r=$round '
				/^version=/ { pass++ }
				{ split($1, k, ".") }
				k[1] == "chan" && k[3] == "class" { c[k[2]] = $2 }
				k[1] == "chan" && c[k[2]] == cls && k[3] == "turnaround_ns" { ns[pass] += $2 }
				k[1] == "chan" && c[k[2]] == cls && k[3] == "turnarounds" { n[pass] += $2 }
				$1 == (cls == "ide" ? "ide." : "") "blockio.io_ns" { io[pass] = $2 }
				$1 == (cls == "ide" ? "ide." : "") "blockio.completed" { ion[pass] = $2 }
				END {
					if (n[2] > n[1])
						printf "breakdown,hvhost-turnaround,us,%s,%s,%.1f\n", d, r,
							(ns[2] - ns[1]) / (n[2] - n[1]) / 1000
					if (ion[2] > ion[1])
						printf "breakdown,io_uring,us,%s,%s,%.1f\n", d, r,
							(io[2] - io[1]) / (ion[2] - ion[1]) / 1000
				}' >> "$samples"
			awk -F, -v d=$d -v r=$round -v ios=$ios -v hv=hvhost '
				$4 == "task-clock" && $2 ~ /^[0-9.]+$/ {
					t = $1; sub(/-[0-9]+$/, "", t)
					if (t ~ /^CPU [0-9]+\/TCG/) g = "vcpu"
					else if (t == hv) g = "hvhost"
					else if (t ~ /^qemu-system/) g = "qemu-main"
					else g = "qemu-other"
					ms[g] += $2
				}
				$4 == "context-switches" && $2 ~ /^[0-9]+$/ { cs += $2 }
				END {
					split("vcpu qemu-main qemu-other hvhost", gs, " ")
					for (i = 1; i <= 4; i++)
						printf "breakdown,cpu-%s,us,%s,%s,%.1f\n", gs[i], d, r,
							ms[gs[i]] * 1000 / ios
					printf "breakdown,switches,count,%s,%s,%.2f\n", d, r, cs / ios
				}' "$b.perf" >> "$samples"
		done
	done
}

if want breakdown; then
{
	hv_vars rounds seconds ctrl ide
	storage_disks
	cat <<'GUEST'
T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T
echo 'p:hvsig hv_emu_signal_event' >> $T/kprobe_events
echo 'p:vqkick vp_notify' >> $T/kprobe_events
echo 0 > $T/tracing_on
echo 16384 > $T/buffer_size_kb
for e in block/block_rq_issue block/block_rq_complete irq/irq_handler_entry \
	 kprobes/hvsig kprobes/vqkick; do
	echo 1 > $T/events/$e/enable
done
# stages KICK IRQ: the I/Os traced, then the mean microseconds of submit
# (issue to signal), out of the guest (signal to interrupt), completion
# (interrupt to complete) and turnaround (complete to the next issue), and
# the share of I/Os whose interrupt came to another CPU than the issue.
stages() {
	awk -v kick="$1:" -v irq="name=$2" '
	{
		for (i = 1; i < NF; i++) {
			if ($i ~ /^\[[0-9]+\]$/) cpu = $i
			if ($i ~ /^[0-9]+\.[0-9]+:$/) break
		}
		t = substr($i, 1, length($i) - 1) * 1e6; ev = $(i + 1)
	}
	ev == "block_rq_issue:" {
		if (tc) { turn += t - tc; nt++ }
		ti = t; tk = tq = 0; ci = cpu; next
	}
	ev == kick { if (ti && !tk) tk = t; next }
	ev == "irq_handler_entry:" && index($0, irq) {
		if (tk && !tq) { tq = t; cq = cpu }
		next
	}
	ev == "block_rq_complete:" {
		if (ti && tk && tq) {
			sb += tk - ti; out += tq - tk; cp += t - tq; n++
			if (cq != ci) cross++
		}
		tc = t; ti = 0; next
	}
	END {
		k = n ? n : 1; m = nt ? nt : 1
		printf "%d %.1f %.1f %.1f %.1f %.1f\n", n, sb / k, out / k, cp / k,
			turn / m, 100 * cross / k
	}' $T/trace
}
for round in $(seq 1 $rounds); do
	for dev in "blkvsc $hd hvsig hv_vmbus_emu" \
		   "storvsc $sd hvsig hv_vmbus_emu" \
		   "virtio /dev/vda vqkick virtio"; do
		set -- $dev
		d=$1 path=$2 kick=$3 irq=$4
		sync_host brk-start-$d-$round 1
		echo > $T/trace
		echo 1 > $T/tracing_on
		f=$(fio --name=qd1 --filename=$path --rw=randread --bs=4k \
			--iodepth=1 --ioengine=libaio --direct=1 \
			--runtime=$seconds --time_based --output-format=terse \
			--terse-version=3)
		echo 0 > $T/tracing_on
		echo "HV-SYNC: brk-end-$d-$round"
		echo "SAMPLE: breakdown ios count $d $round $(($(echo "$f" | cut -d';' -f6) / 4))"
		echo "SAMPLE: breakdown iops IOPS $d $round $(echo "$f" | cut -d';' -f8)"
		echo "SAMPLE: breakdown fio-latency us $d $round $(echo "$f" | cut -d';' -f40 | cut -d. -f1)"
		set -- $(stages $kick $irq)
		echo "SAMPLE: breakdown traced count $d $round $1"
		echo "SAMPLE: breakdown guest-submit us $d $round $2"
		echo "SAMPLE: breakdown outside-guest us $d $round $3"
		echo "SAMPLE: breakdown guest-completion us $d $round $4"
		echo "SAMPLE: breakdown guest-turnaround us $d $round $5"
		echo "SAMPLE: breakdown irq-on-other-cpu % $d $round $6"
	done
done
# Where the interrupts went, for the record.
grep -E 'CPU|hv_vmbus_emu|virtio' /proc/interrupts | sed 's/^/INTERRUPTS: /'
GUEST
} > "$run/breakdown.guest.sh"
{
	hv_vars rounds
	cat <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
for round in $(seq 1 $rounds); do
	for d in blkvsc storvsc virtio; do
		b=$HV_RUN/brk-$d-$round
		hv_marker brk-start-$d-$round 600 || exit
		hv_ctl stats > $b.pre
		perf stat -x, --per-thread -e task-clock,context-switches \
			-p $HV_QEMU_PID,$HV_HVHOST_PID -o $b.perf &
		hv_marker brk-end-$d-$round 600 || exit
		kill -INT $! && wait $!
		hv_ctl stats > $b.post
	done
done
HOST
} > "$run/breakdown.host.sh"
export HV_TOP=$top
boot breakdown "$run/breakdown.guest.sh" --host "$run/breakdown.host.sh" \
	--initrd "$storage_initrd" --smp 2 \
	--qemu "-name hvbench,debug-threads=on -drive file=$img_virtio,if=virtio,format=raw,aio=io_uring" \
	-- --scsi="$ctrl" --disk="$img_hv" --ide-disk="$img_ide"
host_breakdown
fi

# ---- network: hv_netvsc vs virtio-net -----------------------------------
if want net; then
# hvhost's TAP is made in the namespace (hvhost runs there); QEMU opens
# virtio's in the root namespace and the host script moves it over.
nic=99999999-2222-4333-8444-555555555500
hv_mac=00:15:5d:99:00:02 v_mac=52:54:00:99:00:03
hv_netns $ns $hv_tap 192.168.90.1/24 || { echo "bench: no network namespace" >&2; exit 1; }
ip tuntap add dev $v_tap mode tap vnet_hdr
net_initrd=$run/net.cpio.gz
"$top/scripts/hv-initramfs.sh" "$kver" "$net_initrd" --net
{
	hv_vars rounds seconds hv_mac v_mac
	cat <<'GUEST'
load_vmbus_drivers
modprobe virtio_pci 2>/dev/null
modprobe virtio_net
wait_until 30 iface_of $hv_mac
wait_until 30 iface_of $v_mac
hv=$(iface_of $hv_mac) vn=$(iface_of $v_mac)
ip addr add 192.168.90.2/24 dev $hv
ip addr add 192.168.91.2/24 dev $vn
ip link set $hv up
ip link set $vn up
sync_host net-up 2
wait_until 30 ping -c 1 -W 1 192.168.90.1
wait_until 30 ping -c 1 -W 1 192.168.91.1
tcp() {	# DEST STREAMS [-R]: the receiver's Mbit/s
	iperf3 -c $1 -t $seconds -P $2 $3 -f m 2>&1 | awk '
	/receiver/ && (!sum || $1 == "[SUM]") {
		sum = $1 == "[SUM]"
		for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") r = $(i - 1)
	}
	END { print r + 0 }'
}
rr() {	# DEST: median and 99th percentile round trip, us
	ping -c 500 -i 0.002 $1 | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' |
		sort -n | awk '{ a[NR] = $1 * 1000 }
		END { p = int(NR * 0.99); if (p < NR * 0.99) p++
		      printf "%d %d\n", a[int((NR + 1) / 2)], a[p] }'
}
for round in $(seq 1 $rounds); do
	for dev in netvsc:192.168.90.1 virtio:192.168.91.1; do
		d=${dev%%:*} a=${dev#*:}
		echo "SAMPLE: net tcp-g2h-1 Mbit/s $d $round $(tcp $a 1)"
		echo "SAMPLE: net tcp-g2h-4 Mbit/s $d $round $(tcp $a 4)"
		echo "SAMPLE: net tcp-h2g-1 Mbit/s $d $round $(tcp $a 1 -R)"
		echo "SAMPLE: net tcp-h2g-4 Mbit/s $d $round $(tcp $a 4 -R)"
		set -- $(rr $a)
		echo "SAMPLE: net rr-p50 us $d $round $1"
		echo "SAMPLE: net rr-p99 us $d $round $2"
	done
done
GUEST
} > "$run/net.guest.sh"
{
	hv_vars ns v_tap
	cat <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT
trap 'exit 1' TERM
hv_marker net-up 600 || exit
ip link set $v_tap netns $ns
ip -n $ns addr add 192.168.91.1/24 dev $v_tap
ip -n $ns link set $v_tap up
# Without the boot lock's descriptor (fd 3..9), so that it never holds it.
ip netns exec $ns iperf3 -s 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- > /dev/null 2>&1 &
wait
HOST
} > "$run/net.host.sh"
export HV_TOP=$top
boot net "$run/net.guest.sh" --host "$run/net.host.sh" \
	--initrd "$net_initrd" --netns $ns \
	--qemu "-netdev tap,id=vnet0,ifname=$v_tap,script=no,downscript=no,vhost=off -device virtio-net-pci,netdev=vnet0,mac=$v_mac" \
	-- --nic="$nic,tap=$hv_tap,mac=$hv_mac"
fi

# ---- the tables --------------------------------------------------------
# One line per row and device: min, median and max of the rounds, and the
# ratio of its median to virtio's (and blkvsc's to storvsc's); for
# latencies (unit us) lower is better, so those ratios are inverted.
summary=$out/summary.csv
awk -F, '
	NR == 1 { next }
	{
		key = $1 SUBSEP $2 SUBSEP $4
		if (!(key in unit)) { order[++n] = key; unit[key] = $3 }
		v[key, ++cnt[key]] = $6
	}
	function stats(key,   k, i, j, t, a) {
		k = cnt[key]
		for (i = 1; i <= k; i++) a[i] = v[key, i] + 0
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		lo[key] = a[1]; hi[key] = a[k]
		med[key] = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
	}
	function ratio(key, ref) {
		if (!(ref in med) || ref == key || !med[ref] || !med[key]) return ""
		r = unit[key] == "us" ? med[ref] / med[key] : med[key] / med[ref]
		return sprintf("%.2f", r)
	}
	END {
		for (i = 1; i <= n; i++) stats(order[i])
		print "group,row,unit,device,min,median,max,vs_virtio,vs_storvsc"
		for (i = 1; i <= n; i++) {
			key = order[i]
			split(key, k, SUBSEP)
			vs_v = ratio(key, k[1] SUBSEP k[2] SUBSEP "virtio")
			vs_s = k[3] == "blkvsc" ? ratio(key, k[1] SUBSEP k[2] SUBSEP "storvsc") : ""
			printf "%s,%s,%s,%s,%g,%g,%g,%s,%s\n", k[1], k[2], unit[key], k[3],
				lo[key], med[key], hi[key], vs_v, vs_s
		}
	}' "$samples" > "$summary"

machine
echo
echo "echo channel (one device, inband and GPA-direct; latency: one packet in flight)"
printf '%-26s %-6s %10s %10s %10s\n' row unit min median max
awk -F, '$1 == "echo" { printf "%-26s %-6s %10g %10g %10g\n", $2, $3, $5, $6, $7 }' "$summary"
echo
echo "storage: each device on a 256 MiB image of its own on tmpfs, fio libaio direct, 2 vCPUs unless named"
printf '%-24s %-6s %-8s %10s %10s %10s %9s %10s\n' row unit device min median max vs-virtio vs-storvsc
awk -F, '$1 == "storage" {
	printf "%-24s %-6s %-8s %10g %10g %10g %9s %10s\n", $2, $3, $4, $5, $6, $7, $8, $9 }' "$summary"
awk -F, '
	$1 == "storage" && $2 == "randread-4k-qd32" { two[$4] = $6 }
	$1 == "storage" && $2 == "randread-4k-qd32-1vcpu" { one[$4] = $6 }
	END {
		for (d in one)
			if (one[d] && two[d])
				printf "scaling, 4 KiB randread QD32, 2 vCPUs / 1 vCPU: %s %.2f\n", d, two[d] / one[d]
	}' "$summary" | sort
if want breakdown; then
echo
echo "breakdown: one 4 KiB read in flight (fio QD1 randread), means per I/O (medians of the rounds), guest tracepoints on"
printf '%-22s %-6s %10s %10s %10s\n' stage unit blkvsc storvsc virtio
awk -F, '$1 == "breakdown" { m[$2, $4] = $6; u[$2] = $3 }
	END {
		n = split("iops fio-latency guest-submit outside-guest hvhost-turnaround io_uring guest-completion guest-turnaround irq-on-other-cpu cpu-vcpu cpu-qemu-main cpu-qemu-other cpu-hvhost switches traced", r, " ")
		for (i = 1; i <= n; i++) {
			if (!(r[i] in u)) continue
			printf "%-22s %-6s", r[i], u[r[i]]
			split("blkvsc storvsc virtio", d, " ")
			for (j = 1; j <= 3; j++)
				printf " %10s", ((r[i], d[j]) in m) ? m[r[i], d[j]] : "-"
			printf "\n"
		}
	}' "$summary"
fi
echo
echo "network: hv_netvsc and virtio-net (QEMU, no vhost) on TAPs in one namespace, iperf3 $seconds s, 2 vCPUs"
printf '%-24s %-6s %-8s %10s %10s %10s %9s\n' row unit device min median max vs-virtio
awk -F, '$1 == "net" {
	printf "%-24s %-6s %-8s %10g %10g %10g %9s\n", $2, $3, $4, $5, $6, $7, $8 }' "$summary"
echo
echo "CSV: $samples (every round), $summary (the table)"

# The chart: the ratio of each row, 1.0 marked.
awk -F, 'NR > 1 && $8 != "" { print $2 "/" $4, $8 }' "$summary" > "$out/ratios.dat"
if [ -s "$out/ratios.dat" ]; then
	gnuplot <<EOF
set terminal pngcairo size 900,480 noenhanced
set output "$out/ratios.png"
set title "ours vs virtio: ratio of medians ($rounds rounds; above 1.0 = ours ahead)"
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -30
set grid ytics
set arrow from graph 0, first 1.0 to graph 1, first 1.0 nohead lw 2 lc rgb "red"
plot "$out/ratios.dat" using 0:2:xtic(1) with boxes notitle, \
     "" using 0:(\$2 + 0.03):(sprintf("%.2f", \$2)) with labels notitle
EOF
	echo "chart: $out/ratios.png"
fi
