// SPDX-License-Identifier: GPL-2.0
/*
 * Runner of hvhost's in-process unit tests: one "PASS: unit: name" or
 * "FAIL: unit: name: why" line per test, then the totals; exit status 1
 * if any failed. Each test runs in a child process with a timeout, so a
 * crash or a hang is reported under the test's name.
 *
 * usage: hvhost_unit [-v] [SUBSTRING]   (-v: hvhost's debug log; only
 * the tests whose name contains SUBSTRING)
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "unit.h"

/* Seconds one test may take (HV_UNIT_TIMEOUT); the slowest takes < 1. */
#define UNIT_TIMEOUT	60

static unsigned int unit_timeout = UNIT_TIMEOUT;

extern const struct unit_test __start_unit_tests[];
extern const struct unit_test __stop_unit_tests[];

static char unit_reason[512];

void unit_fail(const char *file, int line, const char *what)
{
	if (!unit_reason[0])
		snprintf(unit_reason, sizeof(unit_reason), "%s:%d: %s", file,
			 line, what);
}

void unit_fail_eq(const char *file, int line, const char *expected_expr,
		  const char *actual_expr, long long expected,
		  long long actual)
{
	char what[sizeof(unit_reason)];

	snprintf(what, sizeof(what),
		 "%s == %s: expected %lld (0x%llx), got %lld (0x%llx)",
		 actual_expr, expected_expr, expected,
		 (unsigned long long)expected, actual,
		 (unsigned long long)actual);
	unit_fail(file, line, what);
}

bool unit_failed(void)
{
	return unit_reason[0];
}

/* In the child: fixture set-up, the test, tear-down; the reason to @fd. */
static void __attribute__((noreturn))
unit_child(const struct unit_test *t, int fd)
{
	const struct unit_fixture *fx = t->fixture;
	void *ctx = NULL;
	ssize_t n;

	alarm(unit_timeout);
	if (fx) {
		ctx = calloc(1, fx->size);
		if (!ctx)
			unit_fail(t->file, t->line, "no memory for the fixture");
		else if (fx->setup)
			fx->setup(ctx);
	}
	if (!unit_failed())
		t->fn(ctx);
	if (ctx && fx->teardown)
		fx->teardown(ctx);
	n = write(fd, unit_reason, strlen(unit_reason));
	_exit(n < 0 || unit_failed() ? 1 : 0);
}

/* How the child ended, as a reason; "" when it passed. */
static void unit_wait(pid_t pid, int fd)
{
	size_t len = 0;
	ssize_t n;
	int status;

	while ((n = read(fd, unit_reason + len,
			 sizeof(unit_reason) - 1 - len)) > 0)
		len += n;
	unit_reason[len] = '\0';
	if (waitpid(pid, &status, 0) != pid)
		snprintf(unit_reason, sizeof(unit_reason), "waitpid failed");
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(unit_reason, sizeof(unit_reason),
			 "timed out after %u s", unit_timeout);
	else if (WIFSIGNALED(status))
		snprintf(unit_reason, sizeof(unit_reason),
			 "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) && !len)
		snprintf(unit_reason, sizeof(unit_reason),
			 "exit status %d", WEXITSTATUS(status));
}

static bool unit_run(const struct unit_test *t)
{
	int fds[2];
	pid_t pid;

	unit_reason[0] = '\0';
	fflush(stdout);
	if (pipe(fds) || (pid = fork()) < 0) {
		snprintf(unit_reason, sizeof(unit_reason), "cannot fork");
		return false;
	}
	if (!pid) {
		close(fds[0]);
		unit_child(t, fds[1]);
	}
	close(fds[1]);
	unit_wait(pid, fds[0]);
	close(fds[0]);
	return !unit_reason[0];
}

/* Source order: by file, then by line. */
static int unit_cmp(const void *a, const void *b)
{
	const struct unit_test *x = *(const struct unit_test *const *)a;
	const struct unit_test *y = *(const struct unit_test *const *)b;
	int c = strcmp(x->file, y->file);

	return c ? c : x->line - y->line;
}

int main(int argc, char **argv)
{
	size_t n = __stop_unit_tests - __start_unit_tests, i;
	unsigned int passed = 0, failed = 0;
	const struct unit_test **tests;
	const char *filter = NULL;
	bool verbose = false;
	const char *env = getenv("HV_UNIT_TIMEOUT");
	int a;

	if (env && atoi(env) > 0)
		unit_timeout = atoi(env);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-v"))
			verbose = true;
		else
			filter = argv[a];
	}
	tests = calloc(n, sizeof(*tests));
	if (!tests)
		return 2;
	for (i = 0; i < n; i++)
		tests[i] = &__start_unit_tests[i];
	qsort(tests, n, sizeof(*tests), unit_cmp);
	/* Tests feed hvhost bad input on purpose: keep its log quiet. */
	hv_log_open(NULL, verbose ? HV_LOG_DEBUG : -1);
	for (i = 0; i < n; i++) {
		if (filter && !strstr(tests[i]->name, filter))
			continue;
		if (unit_run(tests[i])) {
			printf("PASS: unit: %s\n", tests[i]->name);
			passed++;
		} else {
			printf("FAIL: unit: %s: %s\n", tests[i]->name,
			       unit_reason);
			failed++;
		}
	}
	printf("unit: %u passed, %u failed\n", passed, failed);
	free(tests);
	return failed || (!passed && !filter) ? 1 : 0;
}
