#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input to the project's tools: each case must end with a clear
# message on stderr, a non-zero exit, and no change to any file it was
# given. Prints PASS:/FAIL: lines.
set -uo pipefail

top=$(cd "$(dirname "$0")/../../../.." && pwd)
hvhost=$top/tools/hv/hvhost/hvhost
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! make -s -C "$top/tools/hv/hvhost" > "$tmp/build.log" 2>&1; then
	echo "FAIL: cli: hvhost does not build"
	exit 1
fi

# expect NAME PATTERN COMMAND...: non-zero exit, stderr matching PATTERN.
expect() {
	local name=$1 pattern=$2 rc
	shift 2
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "FAIL: cli: $name: exit status 0"
	elif ! grep -qiE "$pattern" "$tmp/err"; then
		echo "FAIL: cli: $name: no message matching '$pattern' (got: $(head -c 200 "$tmp/err"))"
	else
		echo "PASS: cli: $name (exit $rc)"
	fi
}

# hvhost with a minimal valid command line, plus the options under test.
host() {
	"$hvhost" --socket "$tmp/s" --mem "$tmp/ram" --mem-size 64M "$@"
}

truncate -s 1000 "$tmp/odd.img"
truncate -s 0 "$tmp/empty.img"
printf 'keep me' > "$tmp/kept.img"
truncate -s 1M "$tmp/good.img"
good_sum=$(sha256sum < "$tmp/good.img")

expect "hvhost: unknown option" "unknown|unrecognized|invalid" host --bogus
expect "hvhost: missing --socket" "socket" "$hvhost" --mem "$tmp/ram" --mem-size 64M
expect "hvhost: bad memory size" "size" host --mem-size 12Q
expect "hvhost: bad version" "version" host --max-version 9.9
expect "hvhost: bad GUID" "guid|GUID" host --echo=not-a-guid
expect "hvhost: missing image" "no such file|cannot|missing" host --disk="$tmp/none.img"
expect "hvhost: odd-sized image" "multiple of 512" host --disk="$tmp/odd.img"
expect "hvhost: empty image" "multiple of 512|empty|size" host --disk="$tmp/empty.img"
expect "hvhost: bad disk suboption" "expected ro" host --disk="$tmp/good.img,bogus"
expect "hvhost: duplicate LUN" "lun|LUN" host --disk="$tmp/good.img,lun=0" --disk="$tmp/good.img,lun=0"
expect "hvhost: bad IDE disk suboption" "expected ro, ctrl" host --ide-disk="$tmp/good.img,lun=1"
expect "hvhost: IDE place given twice" "given twice" \
	host --ide-disk="$tmp/good.img,ctrl=1,unit=0" --ide-disk="$tmp/kept.img,ctrl=1,unit=0"
expect "hvhost: odd-sized IDE image" "multiple of 512" host --ide-disk="$tmp/odd.img"
expect "hvhost: DVD image not of 2048-byte blocks" "multiple of 2048" host --dvd="$tmp/odd.img,ctrl=1"
expect "hvhost: missing ISO" "no such file" host --dvd="$tmp/none.iso"
expect "hvhost: socket directory missing" "socket|directory|no such" \
	"$hvhost" --socket "$tmp/no/dir/s" --mem "$tmp/ram" --mem-size 64M
expect "hvhost ctl: no such socket" "connect|no such|cannot" "$hvhost" ctl "$tmp/none.sock" list
if [ "$(sha256sum < "$tmp/good.img")" = "$good_sum" ] && [ "$(cat "$tmp/kept.img")" = "keep me" ]; then
	echo "PASS: cli: failed hvhost start-ups left the images unchanged"
else
	echo "FAIL: cli: a failed hvhost start-up changed an image"
fi
if [ -e "$tmp/ram" ] || [ -e "$tmp/s" ]; then
	echo "FAIL: cli: a failed hvhost start-up left its RAM file or socket behind"
else
	echo "PASS: cli: failed hvhost start-ups cleaned up their RAM file and socket"
fi

expect "hv-boot.sh: unknown option" "unknown option" "$top/scripts/hv-boot.sh" --bogus
expect "hv-boot.sh: bad --smp" "smp" "$top/scripts/hv-boot.sh" --smp zero
expect "hv-boot.sh: missing scenario" "not found" "$top/scripts/hv-boot.sh" --guest "$tmp/none.sh"
expect "hv-boot.sh: missing kernel image" "not found" "$top/scripts/hv-boot.sh" --kernel "$tmp/none.img"
expect "hv-run-debian.sh: unknown kernel" "KVER" "$top/scripts/hv-run-debian.sh" 5.4
expect "hv-deb.sh: an argument" "usage" "$top/scripts/hv-deb.sh" bogus
expect "hv-kernel.sh: unknown kernel" "unknown KVER" "$top/scripts/hv-kernel.sh" 5.4
expect "hv-check.sh: unknown tier" "unknown tier" "$top/scripts/hv-check.sh" bogus
expect "hv-initramfs.sh: unknown option" "usage" "$top/scripts/hv-initramfs.sh" 6.12 "$tmp/x.img" --bogus

# hv-merge.sh refuses what is not a Linux 6.12 tree and leaves it alone.
mkdir -p "$tmp/notlinux/drivers/staging"
printf 'keep me\n' > "$tmp/notlinux/Makefile"
mkdir -p "$tmp/linux61/drivers/staging"
printf 'VERSION = 6\nPATCHLEVEL = 1\n' > "$tmp/linux61/Makefile"
touch "$tmp/linux61/Kconfig" "$tmp/linux61/drivers/staging/Kconfig" \
	"$tmp/linux61/drivers/staging/Makefile"
before=$(cd "$tmp" && find notlinux linux61 -type f -exec sha256sum {} + | sort)
expect "hv-merge.sh: no argument" "usage" "$top/scripts/hv-merge.sh"
expect "hv-merge.sh: no such folder" "no such folder" "$top/scripts/hv-merge.sh" "$tmp/none"
expect "hv-merge.sh: not a kernel tree" "not a kernel tree" "$top/scripts/hv-merge.sh" "$tmp/notlinux"
expect "hv-merge.sh: another kernel version" "merges into 6.12" "$top/scripts/hv-merge.sh" "$tmp/linux61"
after=$(cd "$tmp" && find notlinux linux61 -type f -exec sha256sum {} + | sort)
if [ "$before" = "$after" ] && [ -z "$(find "$tmp/notlinux" "$tmp/linux61" -name '*hv*')" ]; then
	echo "PASS: cli: refused merges left the folders unchanged"
else
	echo "FAIL: cli: a refused merge changed the folder it was given"
fi

# hv-results.sh: KTAP that the kernel's own KUnit parser reads, JUnit XML
# that parses, with the log's counts; bad input refused.
mkdir -p "$tmp/res"
cat > "$tmp/res/log" <<'LOG'
== static
PASS: static: one
FAIL: static: two <&> "quoted" # hash
    finding 1
== boot
== 6.12 echo
PASS: 6.12: echo: three
SKIP: 6.12: echo: four
FAIL: 6.12: echo: five
  | console line
LOG
ksrc=$("$top/scripts/hv-ksrc.sh")
if "$top/scripts/hv-results.sh" "$tmp/res/log" "$tmp/res" &&
   python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$tmp/res/results.ktap" \
	> "$tmp/res/kunit.out" 2>&1; then
	:
fi
check_results() {
	grep -q 'Ran 5 tests: passed: 2, failed: 2, skipped: 1' "$tmp/res/kunit.out" &&
	python3 - "$tmp/res/results.junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall('./testsuite/testcase')
fails = [c for c in cases if c.find('failure') is not None]
assert len(cases) == 5 and len(fails) == 2, (len(cases), len(fails))
assert fails[0].get('name') == 'static: two <&> "quoted" # hash'
assert fails[1].find('failure').text == 'console line'
PY
}
if check_results; then
	echo "PASS: cli: hv-results.sh: KTAP read by the kernel's kunit.py, JUnit XML, counts and logs kept"
else
	echo "FAIL: cli: hv-results.sh: $(tail -n 1 "$tmp/res/kunit.out")"
fi
expect "hv-results.sh: missing log" "no such log" "$top/scripts/hv-results.sh" "$tmp/none.log" "$tmp/res"

# The boot tier boots again only a guest kernel that died before /init
# with none of our modules loaded (lib.sh hv_died_before_init).
. "$top/tools/testing/hv/boot/lib.sh"
printf '[    4.5] Oops: int3: 0000 [#1]\r\n[    4.6] Modules linked in:\r\n' > "$tmp/c1"
printf '[    4.5] Oops: 0000 [#1]\r\n[    4.6] Modules linked in: hv_vmbus(OE)\r\n' > "$tmp/c2"
printf 'HV-GUEST: booted\n[    9.5] BUG: oops\n[    9.6] Modules linked in:\n' > "$tmp/c3"
printf '[    4.5] hv_vmbus: hello\nhv-boot: guest timed out after 300s\n' > "$tmp/c4"
if hv_died_before_init "$tmp/c1" && ! hv_died_before_init "$tmp/c2" &&
   ! hv_died_before_init "$tmp/c3" && ! hv_died_before_init "$tmp/c4"; then
	echo "PASS: cli: boot tier: only a kernel that died before /init and our modules is booted again"
else
	echo "FAIL: cli: boot tier: the boot-again rule took the wrong consoles"
fi
