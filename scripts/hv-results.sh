#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-results.sh LOG OUTDIR
#
# Write the results of a `make check` log (scripts/hv-check.sh) for other
# CI systems: OUTDIR/results.ktap (KTAP version 1, one subtest per tier,
# as KUnit prints it) and OUTDIR/results.junit.xml (one <testsuite> per
# tier, one <testcase> per check). A check's log is the indented lines
# that follow its FAIL: line; it goes into the KTAP diagnostics and the
# JUnit <failure> element.
set -euo pipefail

die() { echo "hv-results: $*" >&2; exit 2; }
[ $# -eq 2 ] || die "usage: hv-results.sh LOG OUTDIR"
[ -f "$1" ] || die "$1: no such log"
[ -d "$2" ] || die "$2: no such folder"
log=$1 out=$2

# One record per check: tier, status, name, and its log lines.
parse() {
	awk '
	function flush() {
		if (status != "")
			printf "%s\t%s\t%s\t%s\n", tier, status, name, detail
		status = ""; detail = ""
	}
	/^== / {
		flush()
		# Tier headers are "== static"; the boot tier names each
		# scenario "== KVER NAME": those stay in the boot tier.
		if (NF == 2) tier = $2
		next
	}
	/^(PASS|FAIL|SKIP): / {
		flush()
		status = substr($1, 1, 4)
		name = substr($0, index($0, ":") + 2)
		next
	}
	/^[ \t]/ && status == "FAIL" {
		line = $0
		sub(/^  \| /, "", line)
		gsub(/\t/, " ", line)
		detail = detail (detail == "" ? "" : "\001") line
		next
	}
	END { flush() }
	' "$log" | LC_ALL=C tr -d '\000\002-\010\013-\037\177'
}

ktap() {
	awk -F '\t' '
	function close_tier() {
		if (tier == "") return
		printf "    KTAP version 1\n    # Subtest: %s\n    1..%d\n%s", tier, n, body
		printf "%s %d %s\n", failed ? "not ok" : "ok", ++t, tier
	}
	{
		if ($1 != tier) {
			close_tier()
			tier = $1; n = 0; failed = 0; body = ""
		}
		name = $3
		gsub(/#/, "-", name)
		if ($2 == "FAIL") failed = 1
		if ($4 != "") {
			k = split($4, lines, "\001")
			for (i = 1; i <= k; i++)
				body = body "    # " lines[i] "\n"
		}
		body = body sprintf("    %s %d %s%s\n", $2 == "FAIL" ? "not ok" : "ok",
				    ++n, name, $2 == "SKIP" ? " # SKIP" : "")
	}
	END { close_tier() }
	' > "$1.body"
	{
		echo "KTAP version 1"
		echo "1..$(grep -c '^\(not \)\?ok ' "$1.body" || true)"
		cat "$1.body"
	} > "$1"
	rm -f "$1.body"
}

junit() {
	awk -F '\t' '
	function esc(s) {
		gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s)
		gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s)
		return s
	}
	{
		tier[NR] = $1; status[NR] = $2; name[NR] = $3; detail[NR] = $4
		if (!($1 in count)) order[++ntiers] = $1
		count[$1]++
		if ($2 == "FAIL") fails[$1]++
		if ($2 == "SKIP") skips[$1]++
	}
	END {
		print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		print "<testsuites name=\"hv make check\">"
		for (s = 1; s <= ntiers; s++) {
			t = order[s]
			printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" skipped=\"%d\">\n",
				esc(t), count[t], fails[t] + 0, skips[t] + 0
			for (i = 1; i <= NR; i++) {
				if (tier[i] != t) continue
				printf "    <testcase classname=\"%s\" name=\"%s\"", esc(t), esc(name[i])
				if (status[i] == "PASS") { print "/>"; continue }
				print ">"
				if (status[i] == "SKIP") {
					print "      <skipped/>"
				} else {
					d = detail[i]
					gsub(/\001/, "\n", d)
					printf "      <failure message=\"%s\">%s</failure>\n",
						esc(name[i]), esc(d)
				}
				print "    </testcase>"
			}
			print "  </testsuite>"
		}
		print "</testsuites>"
	}
	' > "$1"
}

parse > "$out/results.tsv.tmp"
ktap "$out/results.ktap" < "$out/results.tsv.tmp"
junit "$out/results.junit.xml" < "$out/results.tsv.tmp"
rm -f "$out/results.tsv.tmp"
