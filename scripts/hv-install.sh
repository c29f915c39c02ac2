#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hv-install.sh KVER CONFIG_X=m...: modules_install of the drivers (not the
# test modules) for Debian's KVER kernel, then depmod. The Makefile passes
# CONFIG_HV_VMBUS_EMU=m too: hv_vmbus_emu binds only hvhost's ivshmem
# device, and a Hyper-V-only install leaves that symbol out. INSTALL_MOD_PATH
# (default /) is where /lib/modules lives. Modules are not signed: Debian's
# signing key is not available outside Debian's build.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: hv-install.sh KVER CONFIG_X=m...}
shift
dest=${INSTALL_MOD_PATH:-/}

out=$("$top/scripts/hv-build.sh" "$kver" "$@" -- modules | tail -n 1)
"$top/scripts/hv-build.sh" "$kver" "$@" CONFIG_MODULE_SIG_ALL= \
	INSTALL_MOD_PATH="$dest" -- modules_install > /dev/null
rel=$(basename "$out")
depmod -b "$dest" "$rel"
echo "installed into $dest/lib/modules/$rel/updates"
