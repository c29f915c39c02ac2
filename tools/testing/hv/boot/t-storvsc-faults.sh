# SPDX-License-Identifier: GPL-2.0
#
# Malformed completions injected by hvhost (bad length, unknown request
# id, impossible status) are rejected with a log line; the guest survives
# and the disk keeps working.
. "$(dirname "$0")/lib.sh"

hv_scenario_files

ctrl=77777777-2222-4333-8444-555555555500
truncate -s 16M "$hv_scratch/lun0.img"

hv_vars ctrl > "$guest"
cat >> "$guest" <<'GUEST'
load_vmbus_drivers
wait_until 30 sd_present $ctrl 0
sd=$(sd_of $ctrl 0)
pattern_mib > /tmp/pat
dd if=/tmp/pat of=$sd bs=1M oflag=direct 2>/dev/null
for fault in bad-length bad-id bad-status; do
	echo "HV-SYNC: fault $fault"
	sleep 3
	for i in 1 2 3 4; do
		dd if=$sd of=/dev/null bs=4k count=1 skip=$i iflag=direct 2>/dev/null
	done
done
sleep 1
dmesg > /tmp/dmesg
check "the guest logged the bad completions" sh -c "grep -i storvsc /tmp/dmesg | grep -qiE 'bad|invalid|unknown|malformed|short'"
check "the disk still reads back what was written" sh -c "dd if=$sd bs=1M count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
for fault in bad-length bad-id bad-status; do
	hv_marker "fault $fault" 180 || exit
	check "fault $fault armed" hv_ctl fault storvsc $fault 1
done
HOST
hv_boot storvsc-faults --initrd "$HV_INITRD_STORAGE" --guest "$guest" \
	--host "$host" --timeout 400 -- --scsi="$ctrl" \
	--disk="$hv_scratch/lun0.img,lun=0" > /dev/null
hv_report storvsc-faults
