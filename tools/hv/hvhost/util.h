/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers of the hvhost front end: option values, a growable text
 * buffer and UNIX sockets.
 */
#ifndef _HVHOST_UTIL_H
#define _HVHOST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

int hv_parse_size(const char *s, uint64_t *size);
int hv_parse_version(const char *s, uint32_t *version);
int hv_parse_uint(const char *s, unsigned int min, unsigned int max,
		  unsigned int *val);

/* Text the control socket sends back. */
struct hv_buf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;		/* out of memory; the text is cut short */
};

__printf(2, 3) void hv_buf_printf(struct hv_buf *b, const char *fmt, ...);
void hv_buf_consume(struct hv_buf *b, size_t n);
/* "<prefix><field>=<value>\n" of the counter (s)->field, for `stats`. */
#define HV_BUF_STAT(b, prefix, s, field)				\
	hv_buf_printf(b, "%s" #field "=%llu\n", prefix,			\
		      (unsigned long long)(s)->field)
void hv_buf_free(struct hv_buf *b);

int hv_unix_listen(const char *path, const char *what);
int hv_unix_connect(const char *path);

#endif /* _HVHOST_UTIL_H */
