# SPDX-License-Identifier: GPL-2.0
#
# The KUnit suites (drivers/hv/*/*_kunit.c), on a kernel built with
# CONFIG_KUNIT (the debug kernel): the guest loads each test module, whose
# suites run as it loads, and turns every case's result in debugfs
# (/sys/kernel/debug/kunit/SUITE/results, KTAP) into one PASS: or FAIL:
# line, "SUITE: CASE". Each suite must have run as many cases as its
# source lists, so that a suite that silently does not run fails. On a
# kernel without KUnit (Debian's) the modules are not built and the
# scenario is one SKIP line, which counts neither way.
. "$(dirname "$0")/lib.sh"

HV_CHECK_PREFIX="$KVER: kunit: "
kroot=$("$HV_TOP/scripts/hv-kernel.sh" "$KVER") || exit
if ! grep -qx 'CONFIG_KUNIT=y' "$kroot"/boot/config-*; then
	echo "SKIP: ${HV_CHECK_PREFIX}the kernel has no CONFIG_KUNIT"
	exit 0
fi

# SUITE:CASES for each suite in the sources: the cases of the kunit_case
# array that its kunit_suite names.
expected_suites() {
	awk '/^static struct kunit_case [a-z_0-9]+\[\] = \{/ {
		arr = $4; sub(/\[\]$/, "", arr); n = 0; in_arr = 1; next }
	     in_arr && /KUNIT_CASE/ { n++ }
	     in_arr && /^};/ { cases[arr] = n; in_arr = 0 }
	     /\.name = "/ { split($0, q, "\""); name = q[2] }
	     /\.test_cases = / { a = $3; sub(/,$/, "", a); print name ":" cases[a] }' \
		"$HV_TOP"/drivers/hv/*/*_kunit.c
}
suites=$(expected_suites | xargs)
modules=$(sed -n 's/^obj-\$(CONFIG_HV_[A-Z_]*_KUNIT_TEST)[[:space:]]*+=[[:space:]]*\([a-z_]*\)\.o$/\1/p' \
	"$HV_TOP"/drivers/hv/*/Makefile | xargs)
if [ -z "$suites" ] || [ -z "$modules" ]; then
	hv_fail "no KUnit suites or modules found in the sources"
	exit 0
fi

hv_scenario_files
hv_vars suites modules > "$guest"
cat >> "$guest" <<'GUEST'
for m in $modules; do
	check "modprobe $m" modprobe $m
done
dir=/sys/kernel/debug/kunit
# Case lines are indented (a subtest of the suite); the suite's own
# result line is not. "# SKIP" counts as neither.
for s in $suites; do
	name=${s%%:*}
	want=${s#*:}
	if [ ! -r $dir/$name/results ]; then
		fail "$name: no results in $dir"
		continue
	fi
	awk -v suite=$name '
		/^[[:space:]]+(not )?ok [0-9]+ / {
			line = $0
			sub(/^[[:space:]]+/, "", line)
			ok = line !~ /^not /
			sub(/^(not )?ok [0-9]+ /, "", line)
			skip = line ~ / # SKIP/
			sub(/ # .*$/, "", line)
			if (skip) print "SKIP: " suite ": " line
			else print (ok ? "PASS: " : "FAIL: ") suite ": " line
		}' $dir/$name/results > /tmp/kunit.$name
	cat /tmp/kunit.$name
	seen=$(grep -cE '^(PASS|FAIL|SKIP): ' /tmp/kunit.$name)
	check "$name: $seen of $want cases ran" [ "$seen" = "$want" ]
	grep -qE '^(not )?ok' $dir/$name/results ||
		fail "$name: the suite did not finish"
done
GUEST
# The debug kernel does not run suites unless asked (KUNIT_DEFAULT_ENABLED
# is off): kunit.enable=1 lets the modules' suites run as they load.
# hv_blkvsc needs scsi_common, which only the storage image holds.
hv_boot kunit --initrd "$HV_INITRD_STORAGE" --guest "$guest" --timeout 600 \
	--append kunit.enable=1 > /dev/null
hv_report kunit
