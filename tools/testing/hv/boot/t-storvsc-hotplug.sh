# SPDX-License-Identifier: GPL-2.0
#
# LUN hot-add shows a new disk; LUN hot-remove and controller rescind
# under running fio: fio reports errors, the guest neither hangs nor
# oopses, the devices leave sysfs.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ctrl=66666666-2222-4333-8444-555555555500
truncate -s 32M "$hv_scratch/lun0.img" "$hv_scratch/lun1.img"

hv_vars ctrl > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl 0
echo "HV-SYNC: add-lun"
check "hot-added LUN 1 appears as a disk" wait_until 60 sd_present $ctrl 1
lun1=$(sd_of $ctrl 1)
check "hot-added disk has its capacity" [ "$(cat /sys/block/${lun1#/dev/}/size)" = 65536 ]

fio --name=busy --filename=$lun1 --rw=randrw --bs=4k --iodepth=16 \
	--ioengine=libaio --direct=1 --time_based --runtime=120 \
	--output=/tmp/fio1.out &
fio1=$!
sleep 3
echo "HV-SYNC: remove-lun"
check "hot-removed LUN leaves sysfs" wait_until 60 sd_absent $ctrl 1
check "fio on the removed LUN ends" wait_until 60 sh -c "! kill -0 $fio1 2>/dev/null"
wait $fio1
rc=$?
check "fio on the removed LUN reports errors (exit $rc)" [ $rc != 0 ]

lun0=$(sd_of $ctrl 0)
fio --name=busy --filename=$lun0 --rw=randrw --bs=4k --iodepth=16 \
	--ioengine=libaio --direct=1 --time_based --runtime=120 \
	--output=/tmp/fio0.out &
fio0=$!
sleep 3
echo "HV-SYNC: rescind"
check "rescinded controller leaves sysfs" wait_until 60 dev_absent $ctrl
check "fio on the rescinded controller ends" wait_until 60 sh -c "! kill -0 $fio0 2>/dev/null"
wait $fio0
rc=$?
check "fio on the rescinded controller reports errors (exit $rc)" [ $rc != 0 ]
check "no SCSI disk is left" sh -c "! ls /sys/block | grep -q ^sd"
GUEST

hv_vars hv_scratch ctrl > "$host"
cat >> "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker add-lun 120 || exit
check "disk add accepted" hv_ctl disk add "$hv_scratch/lun1.img,lun=1" $ctrl
hv_marker remove-lun 180 || exit
check "disk remove accepted" hv_ctl disk remove $ctrl 1
hv_marker rescind 240 || exit
check "rescind accepted" hv_ctl rescind $ctrl
HOST
hv_boot storvsc-hotplug --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 600 -- --scsi="$ctrl" \
	--disk="$hv_scratch/lun0.img,lun=0" > /dev/null
hv_report storvsc-hotplug
