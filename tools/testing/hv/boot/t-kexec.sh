# SPDX-License-Identifier: GPL-2.0
#
# kexec and panic leave the host clean. kexec: the guest writes a pattern
# to a SCSI disk and kexecs its own kernel; the old kernel sends UNLOAD on
# its way out (the host releases every channel and GPADL), the new one
# connects again, reads the pattern back and runs the echo device. panic:
# a sysrq crash sends UNLOAD from the panic notifier before the guest dies
# (panic=-1 reboots at once, and QEMU's -no-reboot ends the run).
. "$(dirname "$0")/lib.sh"

hv_scenario_files
ctrl=77777777-2222-4333-8444-555555555500
echo_id=77777777-2222-4333-8444-555555555501
truncate -s 16M "$hv_scratch/disk.img"
# The second kernel's initramfs: the first one's root file system without
# the kernel image, fio and the libraries only fio needs (the guest has
# no memory for them twice), but with what kmod needs.
kmod_libs=$(ldd /usr/bin/kmod | grep -o '/[^ ]*' | xargs -n 1 basename | xargs)

hv_vars ctrl echo_id kmod_libs > "$guest"
cat >> "$guest" <<'GUEST'
if ! grep -q hv_stage=2 /proc/cmdline; then
	load_vmbus_drivers
	wait_until 30 sd_present $ctrl 0
	disk=$(sd_of $ctrl 0)
	pattern_mib > /tmp/pat
	dd if=/tmp/pat of=$disk bs=1M seek=1 oflag=direct conv=fsync 2>/dev/null
	check "stage 1: the pattern reads back" sh -c "dd if=$disk bs=1M skip=1 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
	d=$(echo_bound $echo_id)
	check "stage 1: echo works" [ "$(field verified "$(echo_run $d 200 1 1024 mixed)")" = 200 ]
	(cd / && { find . -xdev ! -path ./boot/vmlinuz ! -path ./sbin/fio \
		! -path './lib/x86_64-linux-gnu/*'
		for l in $kmod_libs; do ls ./lib/x86_64-linux-gnu/$l 2>/dev/null; done
	} | cpio -o -H newc 2>/dev/null) > /tmp/stage2.cpio
	echo "stage 2 initramfs: $(wc -c < /tmp/stage2.cpio) bytes"
	check "stage 1: kexec -l loads the kernel" kexec -l /boot/vmlinuz --initrd=/tmp/stage2.cpio --append="$(cat /proc/cmdline) hv_stage=2"
	sync_host kexec 1
	kexec -e
	fail "stage 1: kexec -e returned"
	exit 1
fi
echo "HV-GUEST: stage 2"
load_vmbus_drivers
check "stage 2: the disk comes back" wait_until 30 sd_present $ctrl 0
disk=$(sd_of $ctrl 0)
pattern_mib > /tmp/pat
check "stage 2: the pattern written before kexec is intact" sh -c "dd if=$disk bs=1M skip=1 count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat"
d=$(echo_bound $echo_id)
r=$(echo_run $d 2000 1 4096 mixed)
check "stage 2: echo works ($r)" [ "$(field verified "$r")" = 2000 -a "$(field errors "$r")" = 0 ]
sync_host stage2-done 3
GUEST

cat > "$host" <<'HOST'
. "$HV_TOP/tools/testing/hv/boot/lib.sh"
hv_marker stage2-done 400 || exit
out=$(hv_ctl stats)
stat() { echo "$out" | sed -n "s/^$1=//p"; }
echo "contacts=$(stat contacts) unloads=$(stat unloads) stale_contacts=$(stat stale_contacts)"
check_eq "the old kernel sent UNLOAD: UNLOADs seen" 1 "$(stat unloads)"
check_eq "the new kernel found no stale connection" 0 "$(stat stale_contacts)"
check_eq "the new kernel connected: connections" 2 "$(stat contacts)"
HOST

hv_boot kexec --initrd "$HV_INITRD_STORAGE" --guest "$guest" --host "$host" \
	--timeout 420 -- --scsi=$ctrl --disk="$hv_scratch/disk.img" \
	--echo=$echo_id > /dev/null
hv_report kexec
HV_CHECK_PREFIX="$KVER: kexec: host: "
check "UNLOAD released the old kernel's GPADLs (hvhost.log)" grep -q \
	'guest unloads VMBus ([1-9][0-9]* GPADLs released)' "$HV_RUN/hvhost.log"
# The pattern the guest wrote at 1 MiB of the disk.
image_has_pattern() {
	dd if="$hv_scratch/disk.img" bs=1M skip=1 count=1 2>/dev/null |
		cmp -s - <(seq 1 200000 | head -c 1048576)
}
check "the image holds the pattern" image_has_pattern

# panic: the UNLOAD must reach the host before the guest is gone.
hv_vars echo_id > "$guest"
cat >> "$guest" <<'GUEST'
vmbus_up
d=$(echo_bound $echo_id)
check "echo works before the crash" [ "$(field verified "$(echo_run $d 200 1 1024 mixed)")" = 200 ]
echo "HV-GUEST: crashing"
echo c > /proc/sysrq-trigger
GUEST
hv_boot panic --guest "$guest" --timeout 120 -- --echo=$echo_id > /dev/null
console=$HV_RUN/console.log
grep -a '^\(PASS\|FAIL\): ' "$console" | sed "s/^\(PASS\|FAIL\): /\1: $KVER: panic: /"
# The console is cut where the crash begins: at the guest's marker, or at
# the kernel's own line when the panic reaches the serial port first.
before=$(sed -n '/HV-GUEST: crashing\|sysrq: Trigger a crash/q;p' "$console" > "$HV_RUN/before-crash.log"
	hv_kernel_trouble "$HV_RUN/before-crash.log")
HV_CHECK_PREFIX="$KVER: panic: "
if [ -n "$before" ]; then
	hv_fail "kernel trouble before the crash: $before"
elif ! grep -aq 'Kernel panic' "$console"; then
	hv_fail "the guest did not panic"
elif grep -aq 'hv-boot: guest timed out' "$console"; then
	hv_fail "the guest hung in the panic path"
else
	hv_pass "the guest panicked and rebooted at once"
fi
check "host: the panicking guest sent UNLOAD" \
	grep -q 'guest unloads VMBus' "$HV_RUN/hvhost.log"
check "the guest saw UNLOAD_RESPONSE while panicking" \
	grep -aq 'the host unloaded VMBus' "$console"
