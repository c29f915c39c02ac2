/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header: static_assert. */
#ifndef _TOOLS_HV_LINUX_BUILD_BUG_H
#define _TOOLS_HV_LINUX_BUILD_BUG_H

#include <assert.h>
#include <stddef.h>

#endif
