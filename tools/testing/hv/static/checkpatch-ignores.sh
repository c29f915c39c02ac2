# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the static and merge tiers: the checkpatch types ignored for
# a file, and why (only in the files named). PATH is the file's path in
# this tree or in a kernel tree it was merged into (scripts/hv-merge.sh).
#
#   include/linux/hv_compat.h: LINUX_VERSION_CODE, CONST_STRUCT. This is
#   the one compat header: testing the kernel version is its purpose, and
#   it names the non-const struct bus_type that kernels before 6.8 need.
#   drivers/hv/storvsc/: CAMELCASE. The SCSI midlayer's struct Scsi_Host;
#   outside a kernel tree checkpatch cannot know it is the kernel's name.

hv_checkpatch_ignores() {	# PATH
	case "$1" in
	include/linux/hv_compat.h | */include/linux/hv_compat.h)
		echo --ignore=LINUX_VERSION_CODE,CONST_STRUCT ;;
	drivers/hv/storvsc/* | */staging/hv/storvsc/*)
		echo --ignore=CAMELCASE ;;
	esac
}
