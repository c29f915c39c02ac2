# SPDX-License-Identifier: GPL-2.0
#
# CPU hotplug under I/O: with fio verifying on every storvsc channel, the
# guest tries to offline CPU 1 while a channel still interrupts it (the
# kernel must refuse), moves those channels to CPU 0 (MODIFYCHANNEL),
# offlines CPU 1, onlines it again (its SynIC comes back) and moves the
# channels back, several times. fio must see no error and no bad data.
. "$(dirname "$0")/lib.sh"

hv_scenario_files
ctrl=88888888-2222-4333-8444-555555555500
truncate -s 64M "$hv_scratch/disk.img"

hv_vars ctrl > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl 0
disk=$(sd_of $ctrl 0)
d=$(dev_by_instance $ctrl)
online=/sys/devices/system/cpu/cpu1/online
on_cpu() { for c in $d/channels/*; do [ "$(cat $c/cpu)" = $1 ] && echo ${c##*/}; done; }
cpu1=$(on_cpu 1)
check "channels on both CPUs (cpu0: $(on_cpu 0 | xargs), cpu1: $cpu1)" [ -n "$cpu1" -a -n "$(on_cpu 0)" ]

fio --name=hotplug --filename=$disk --rw=randwrite --bsrange=4k-256k \
	--iodepth=16 --ioengine=libaio --direct=1 --size=32M --numjobs=2 \
	--offset_increment=32M --time_based --runtime=30 \
	--verify=crc32c --verify_fatal=1 \
	--verify_backlog=256 --group_reporting --eta=never \
	--output=/tmp/fio.out &
fio_pid=$!
sleep 3
refused=0 offlined=0 onlined=0 moved_back=0
for i in 1 2 3; do
	echo 0 > $online 2>/tmp/err || true
	[ "$(cat $online)" = 1 ] && grep -q "busy" /tmp/err && refused=$((refused + 1))
	for r in $cpu1; do echo 0 > $d/channels/$r/cpu; done
	echo 0 > $online && [ "$(cat $online)" = 0 ] && offlined=$((offlined + 1))
	sleep 2
	echo 1 > $online && [ "$(cat $online)" = 1 ] && onlined=$((onlined + 1))
	for r in $cpu1; do echo 1 > $d/channels/$r/cpu; done
	[ "$(on_cpu 1)" = "$cpu1" ] && moved_back=$((moved_back + 1))
	sleep 2
done
check "offlining CPU 1 under its channels was refused (EBUSY) 3 times ($refused)" [ $refused = 3 ]
check "CPU 1 went offline once its channels moved 3 times ($offlined)" [ $offlined = 3 ]
check "CPU 1 came back online 3 times ($onlined)" [ $onlined = 3 ]
check "the channels moved back to the onlined CPU 1 3 times ($moved_back)" [ $moved_back = 3 ]
wait $fio_pid
rc=$?
grep -E "err=|verify|IOPS" /tmp/fio.out | head -n 5
check "fio randwrite+verify over the hotplug cycles: no error (exit $rc)" [ $rc = 0 ]
check "fio reports err=0" grep -q "err= 0" /tmp/fio.out
GUEST

hv_boot cpuhotplug --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--timeout 300 -- --scsi=$ctrl --disk="$hv_scratch/disk.img" > /dev/null
hv_report cpuhotplug
