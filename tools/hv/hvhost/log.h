/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvhost logging: one sink for the whole process, like the kernel's
 * printk. Messages caused by the guest go through the ratelimited
 * variants so that a misbehaving guest cannot flood the log.
 */
#ifndef _HVHOST_LOG_H
#define _HVHOST_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum hv_log_level {
	HV_LOG_ERR,
	HV_LOG_WARN,
	HV_LOG_INFO,
	HV_LOG_DEBUG,
};

int hv_log_open(const char *path, int level);
void hv_log_set_level(int level);
void hv_log_close(void);
uint64_t hv_now_ns(void);
__printf(2, 3) void hv_log(int level, const char *fmt, ...);

/* At most HV_RATELIMIT_BURST messages per HV_RATELIMIT_INTERVAL_NS. */
#define HV_RATELIMIT_BURST		10
#define HV_RATELIMIT_INTERVAL_NS	5000000000ULL

struct hv_ratelimit {
	uint64_t window_start;
	unsigned int printed;
	unsigned int missed;
};

bool hv_ratelimit_ok(struct hv_ratelimit *rl);

#define hv_err(...)	hv_log(HV_LOG_ERR, __VA_ARGS__)
#define hv_warn(...)	hv_log(HV_LOG_WARN, __VA_ARGS__)
#define hv_info(...)	hv_log(HV_LOG_INFO, __VA_ARGS__)
#define hv_dbg(...)	hv_log(HV_LOG_DEBUG, __VA_ARGS__)

#define hv_log_ratelimited(level, ...)				\
	do {							\
		static struct hv_ratelimit _rl;			\
								\
		if (hv_ratelimit_ok(&_rl))			\
			hv_log(level, __VA_ARGS__);		\
	} while (0)

#define hv_warn_rl(...)	hv_log_ratelimited(HV_LOG_WARN, __VA_ARGS__)

#endif /* _HVHOST_LOG_H */
