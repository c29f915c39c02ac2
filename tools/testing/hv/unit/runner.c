// SPDX-License-Identifier: GPL-2.0
/*
 * Runner of hvhost's in-process unit tests: one "PASS: name" or
 * "FAIL: name: why" line per test, exit status 1 if any failed.
 */
#include <string.h>

#include "log.h"
#include "unit.h"

static char unit_reason[256];

void unit_fail(const char *file, int line, const char *what)
{
	if (!unit_reason[0])
		snprintf(unit_reason, sizeof(unit_reason), "%s:%d: %s", file,
			 line, what);
}

bool unit_failed(void)
{
	return unit_reason[0];
}

static const struct unit_test *const unit_suites[] = {
	ring_tests,
	synic_tests,
	vmbus_tests,
	echo_tests,
	control_tests,
	fuzz_tests,
	blockio_tests,
	storvsp_tests,
	vmbus_fault_tests,
};

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0, s;
	const struct unit_test *t;

	/* Tests feed hvhost bad input on purpose: keep its log quiet. */
	hv_log_open(NULL, argc > 1 && !strcmp(argv[1], "-v") ?
		    HV_LOG_DEBUG : -1);
	for (s = 0; s < ARRAY_SIZE(unit_suites); s++) {
		for (t = unit_suites[s]; t->name; t++) {
			unit_reason[0] = '\0';
			t->fn();
			if (unit_failed()) {
				printf("FAIL: unit: %s: %s\n", t->name,
				       unit_reason);
				failed++;
			} else {
				printf("PASS: unit: %s\n", t->name);
				passed++;
			}
		}
	}
	printf("unit: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
