# SPDX-License-Identifier: GPL-2.0
#
# Version negotiation: the guest connects at 5.3; with hvhost capped at
# each older version it settles there; the guest's max_version caps it too.
. "$(dirname "$0")/lib.sh"

hv_scenario_files
for cap in 5.3 5.2 5.1 5.0 4.1 4.0 3.0 2.4; do
	hv_vars cap > "$guest"
	cat >> "$guest" <<'GUEST'
vmbus_up
v=$(vmbus_version)
check "host capped at $cap: guest settles at $cap (got $v)" [ "$v" = "$cap" ]
GUEST
	if [ "$cap" = 5.3 ]; then
		cat >> "$guest" <<'GUEST'
for max in 5.0 4.0 2.4; do
	vmbus_down
	vmbus_up max_version=$max
	v=$(vmbus_version)
	check "guest max_version=$max: connects at $max (got $v)" [ "$v" = "$max" ]
done
GUEST
	fi
	hv_boot "versions-$cap" --guest "$guest" --timeout 150 -- \
		--echo --max-version "$cap" > /dev/null
	hv_report "versions-$cap"
done
