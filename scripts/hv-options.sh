# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that configure a kernel tree with our drivers
# (tools/testing/hv/merge/run.sh, scripts/hv-debug-kernel.sh).

# hv_driver_options TOP: our user-visible driver options, every config
# HV_* of TOP/drivers/hv/Kconfig with a prompt (HV_VSTOR, which the
# storage drivers select, has none), one per line. The KUnit suites'
# options are not among them: they need CONFIG_KUNIT, and the boot tier
# builds them out of tree.
hv_driver_options() {
	awk '/^config HV_/ { sym = $2 }
	     sym && /^\ttristate "/ { print sym; sym = "" }
	     /^$/ { sym = "" }' "$1/drivers/hv/Kconfig" | grep -v '_KUNIT_TEST$'
}
