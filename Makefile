# SPDX-License-Identifier: GPL-2.0
#
# Hyper-V guest drivers: user-facing targets. The kernel build itself is
# driven by ./Kbuild; see README for what each target does.

KVER		?= 6.12
HV_CACHE	?= /var/cache/hvdrivers
export HV_CACHE

TOP		:= $(CURDIR)
SCRIPTS		:= $(TOP)/scripts
HVHOST		:= tools/hv/hvhost/hvhost

# Config symbols of the out-of-tree build (a kernel tree sets them in Kconfig).
# HV_VSTOR is selected by the storage drivers in Kconfig; here it is set
# with them.
HV_DRIVERS	:= CONFIG_HV_VMBUS=m CONFIG_HV_VMBUS_EMU=m CONFIG_HV_VSTOR=m \
		   CONFIG_HV_STORVSC=m CONFIG_HV_BLKVSC=m CONFIG_HV_NETVSC=m
HV_CONFIG	:= $(HV_DRIVERS) CONFIG_HV_ECHO_TEST=m
export HV_CONFIG

.PHONY: all modules hvhost run check check-static check-unit check-boot \
	check-debug coverage merge-check \
	bench install deps clean print-config

all: modules

deps:
	@$(SCRIPTS)/hv-deps.sh

modules: deps
	@$(SCRIPTS)/hv-build.sh $(KVER) $(HV_CONFIG)

hvhost: deps
	@$(MAKE) -s -C tools/hv/hvhost

run: modules hvhost
	@$(SCRIPTS)/hv-run.sh $(KVER)

check: deps
	@$(SCRIPTS)/hv-check.sh all

check-static: deps
	@$(SCRIPTS)/hv-check.sh static

check-unit: deps
	@$(SCRIPTS)/hv-check.sh unit

check-boot: deps
	@$(SCRIPTS)/hv-check.sh boot

# The boot scenarios on the debug kernel (KASAN, lockdep, kmemleak, ...),
# and the coverage of our modules over them (HTML in out/coverage/html).
check-debug coverage: deps
	@$(SCRIPTS)/hv-check.sh debug

# The tree merged into linux-source-6.12 as a staging driver and built
# there =y and =m (scripts/hv-merge.sh; part of check).
merge-check: deps
	@$(SCRIPTS)/hv-check.sh merge

bench: modules hvhost
	@$(SCRIPTS)/hv-bench.sh $(KVER)

# Install the drivers for one kernel: INSTALL_MOD_PATH=/ by default, so this
# is for the machine's own kernel when KVER names it.
install: deps
	@$(SCRIPTS)/hv-install.sh $(KVER) $(HV_DRIVERS)

# For scripts run by hand: the config symbols of the build.
print-config:
	@echo $(HV_CONFIG)

clean:
	rm -rf out
	@$(MAKE) -s -C tools/hv/hvhost clean 2>/dev/null || true
