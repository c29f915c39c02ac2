// SPDX-License-Identifier: GPL-2.0
/*
 * hvhost logging. The sink is process-wide state on purpose: every layer
 * logs, and threading a logger through the ring and SynIC code would only
 * add noise to their interfaces.
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "log.h"

static struct {
	FILE *file;
	bool owned;
	int level;
} hv_log_sink = { .level = HV_LOG_INFO };

static const char *const hv_log_names[] = {
	[HV_LOG_ERR] = "error",
	[HV_LOG_WARN] = "warning",
	[HV_LOG_INFO] = "info",
	[HV_LOG_DEBUG] = "debug",
};

int hv_log_open(const char *path, int level)
{
	hv_log_sink.level = level;
	if (!path)
		return 0;
	hv_log_sink.file = fopen(path, "a");
	if (!hv_log_sink.file)
		return -1;
	setvbuf(hv_log_sink.file, NULL, _IOLBF, 0);
	hv_log_sink.owned = true;
	return 0;
}

void hv_log_set_level(int level)
{
	hv_log_sink.level = level;
}

void hv_log_close(void)
{
	if (hv_log_sink.owned)
		fclose(hv_log_sink.file);
	hv_log_sink.file = NULL;
	hv_log_sink.owned = false;
}

/* CLOCK_MONOTONIC in nanoseconds: log stamps, timeouts, latency sums. */
uint64_t hv_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void hv_log(int level, const char *fmt, ...)
{
	FILE *out = hv_log_sink.file ? hv_log_sink.file : stderr;
	uint64_t now = hv_now_ns();
	va_list ap;

	if (level > hv_log_sink.level)
		return;
	fprintf(out, "[%6llu.%06llu] hvhost: %s: ",
		(unsigned long long)(now / 1000000000ULL),
		(unsigned long long)(now % 1000000000ULL / 1000),
		hv_log_names[level]);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
}

bool hv_ratelimit_ok(struct hv_ratelimit *rl)
{
	uint64_t now = hv_now_ns();

	if (now - rl->window_start > HV_RATELIMIT_INTERVAL_NS) {
		if (rl->missed)
			hv_warn("%u messages suppressed", rl->missed);
		rl->window_start = now;
		rl->printed = 0;
		rl->missed = 0;
	}
	if (rl->printed < HV_RATELIMIT_BURST) {
		rl->printed++;
		return true;
	}
	rl->missed++;
	return false;
}
