#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-coverage.sh [RELEASE]
#
# The coverage of our guest modules under the boot tier on the debug
# kernel: every boot of out/runs/RELEASE left its GCOV counters in its
# console log (tools/testing/hv/boot/init); they are put back beside the
# objects of out/RELEASE, read with lcov, added up over all boots, and
# printed per module (lines and branches), with the lines that log a
# rejected host value (a ratelimited error) that no boot reached. The
# HTML report goes to out/coverage/html. Printed lines start with "  | "
# (the check summary shows them; they are not checks).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "hv-coverage: $*" >&2; exit 1; }

rel=${1:-$(cat "$("$top/scripts/hv-kernel.sh" debug)/release")}
build=$top/out/$rel
runs=$top/out/runs/$rel
out=$top/out/coverage
[ -d "$build" ] || die "no build in $build (run make check-debug first)"
[ -d "$runs" ] || die "no boots in $runs (run make check-debug first)"
command -v lcov > /dev/null || die "lcov not found (run scripts/hv-deps.sh)"

rm -rf "$out"
mkdir -p "$out/boots"
find "$build" -name '*.gcda' -delete

# put_counters CONSOLE: the boot's .gcda files, back where gcov wants them
# (the path each one had in the guest is the object's path on the host).
put_counters() {
	awk -v build="$build" '
	{ sub(/\r$/, "") }	# the serial console ends lines with CR LF
	/^HV-GUEST: gcov begin/ { on = 1; next }
	/^HV-GUEST: gcov end/ { if (f) close(cmd); on = 0; next }
	!on { next }
	/^HV-GCOV: / {
		if (f) close(cmd)
		f = substr($2, 2)	# ./abs/path -> /abs/path
		if (index(f, build "/") != 1) { f = ""; next }
		cmd = "base64 -d > \"" f "\""
		next
	}
	f { print | cmd }' "$1"
}

n=0
for console in "$runs"/*/console.log; do
	grep -aq '^HV-GUEST: gcov end' "$console" || continue
	put_counters "$console"
	n=$((n + 1))
	lcov -q --capture --directory "$build" --rc lcov_branch_coverage=1 \
		-o "$out/boots/$n.info" > /dev/null 2>&1 || true
	find "$build" -name '*.gcda' -delete
done
[ "$n" -gt 0 ] || die "no boot in $runs left coverage counters"
args=()
for f in "$out"/boots/*.info; do
	[ -s "$f" ] && args+=(-a "$f")
done
lcov -q --rc lcov_branch_coverage=1 "${args[@]}" -o "$out/all.info" > /dev/null 2>&1
# The drivers, without their KUnit suites (test code is not what is
# measured).
lcov -q --rc lcov_branch_coverage=1 --extract "$out/all.info" \
	"$build/drivers/*" -o "$out/with-tests.info" > /dev/null 2>&1
lcov -q --rc lcov_branch_coverage=1 --remove "$out/with-tests.info" \
	'*_kunit.c' -o "$out/drivers.info" > /dev/null 2>&1
genhtml -q --branch-coverage -o "$out/html" "$out/drivers.info" > /dev/null 2>&1 ||
	echo "  | coverage: genhtml failed; the tracefile is $out/drivers.info"

# module SOURCE: the module a source file is linked into (its folder's
# Makefile: NAME-y := a.o b.o ...).
module_map() {
	local mk
	for mk in "$top"/drivers/hv/*/Makefile; do
		awk -v dir="$(dirname "$mk")" '
		/^[a-z_]+-(y|objs)[[:space:]]*[:+]?=/ || cont {
			if (!cont) { name = $1; sub(/-(y|objs).*/, "", name) }
			for (i = 1; i <= NF; i++)
				if ($i ~ /\.o$/) { o = $i; sub(/\.o$/, ".c", o); print dir "/" o, name }
			cont = ($NF == "\\")
		}' "$mk"
	done | sed "s|^$top/||"
}

echo "  | coverage of our modules over $n debug-kernel boots (HTML: $out/html/index.html):"
awk -v top="$build/" '
FNR == NR { mod[$1] = $2; next }
/^SF:/ { f = substr($0, 4); sub(top, "", f); m = (f in mod) ? mod[f] : "(headers)" }
/^LF:/ { lf[m] += substr($0, 4); tlf += substr($0, 4) }
/^LH:/ { lh[m] += substr($0, 4); tlh += substr($0, 4) }
/^BRF:/ { bf[m] += substr($0, 5); tbf += substr($0, 5) }
/^BRH:/ { bh[m] += substr($0, 5); tbh += substr($0, 5) }
function pct(a, b) { return b ? sprintf("%5.1f%%", 100 * a / b) : "  -  " }
END {
	for (m in lf)
		printf "  |   %-14s lines %s (%d/%d)  branches %s (%d/%d)\n", m,
			pct(lh[m], lf[m]), lh[m], lf[m], pct(bh[m], bf[m]), bh[m], bf[m]
	printf "  |   %-14s lines %s (%d/%d)  branches %s (%d/%d)\n", "all",
		pct(tlh, tlf), tlh, tlf, pct(tbh, tbf), tbh, tbf
}' <(module_map) "$out/drivers.info" | sort -k2

# The reject paths no boot took: lines that log a rejected host value.
awk -v top="$build/" '
/^SF:/ { f = substr($0, 4); sub(top, "", f) }
/^DA:/ { split(substr($0, 4), d, ","); if (d[2] == 0) print f ":" d[1] }' \
	"$out/drivers.info" | sort -u > "$out/unhit-lines"
while IFS=: read -r f line; do
	if sed -n "${line}p" "$top/$f" | grep -qE '_ratelimited\(|net_ratelimit\(\)'; then
		echo "$f:$line"
	fi
done < "$out/unhit-lines" > "$out/reject-paths-not-taken"
echo "  | reject paths (ratelimited logs) no boot took: $(wc -l < "$out/reject-paths-not-taken") (list: $out/reject-paths-not-taken)"
