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
expect "hv-kernel.sh: unknown kernel" "unknown KVER" "$top/scripts/hv-kernel.sh" 5.4
expect "hv-check.sh: unknown tier" "unknown tier" "$top/scripts/hv-check.sh" bogus
expect "hv-initramfs.sh: unknown option" "usage" "$top/scripts/hv-initramfs.sh" 6.12 "$tmp/x.img" --bogus
