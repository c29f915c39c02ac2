/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for the kernel header: the attributes we use. */
#ifndef _TOOLS_HV_LINUX_COMPILER_H
#define _TOOLS_HV_LINUX_COMPILER_H

#ifndef __packed
#define __packed __attribute__((__packed__))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((__unused__))
#endif

#endif
