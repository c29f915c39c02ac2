#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit tier: build and run hvhost's in-process unit tests. Prints one
# PASS:/FAIL: line per test; exits 1 if any failed or the build broke.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != --no-build ]; then
	if ! make -s -C "$here" all > "$here/build.log" 2>&1; then
		cat "$here/build.log" >&2
		echo "FAIL: unit: build (see $here/build.log)"
		exit 1
	fi
fi
status=0
for prog in hvhost_unit test_scsi_disk; do
	"$here/$prog" || status=1
done
exit $status
