/* tap.h — a tiny TAP producer for the unit tests (TAP version 13, as
 * `meson test` reads with protocol: 'tap').
 *
 *   plan(n) (optional); ok(cond, fmt, ...); is_int(got, want, fmt, ...);
 *   is_str(got, want, fmt, ...); is_mem(got, n, want, m, fmt, ...);
 *   diag(fmt, ...); return done();
 *
 * done() prints the trailing plan when none was given and returns the exit
 * status: 0 when every assertion passed and the count matches the plan.
 */
#ifndef SMTPD_TAP_H
#define SMTPD_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static struct {
	unsigned run, failed, planned;
} tap_state;

static inline void plan(unsigned n)
{
	tap_state.planned = n;
	printf("1..%u\n", n);
}

static inline void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static inline bool tap_result(bool pass, const char *fmt, va_list ap)
{
	tap_state.run++;
	if (!pass)
		tap_state.failed++;
	printf("%sok %u - ", pass ? "" : "not ", tap_state.run);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	return pass;
}

static inline bool __attribute__((format(printf, 2, 3))) ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result(cond, fmt, ap);
	va_end(ap);
	return r;
}

static inline bool __attribute__((format(printf, 3, 4)))
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		diag("  got %lld, want %lld", got, want);
	return r;
}

/* Prints @s with non-printable octets escaped, for diagnostics. */
static inline void tap_escaped(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c >= 32 && c < 127)
			fputc(c, stdout);
		else
			printf("\\x%02x", c);
	}
}

/* Both sides are counted, so embedded NULs and 8-bit bytes compare
 * exactly. */
static inline bool __attribute__((format(printf, 5, 6)))
is_mem(const char *got, size_t got_len, const char *want, size_t want_len, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result(got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0), fmt, ap);
	va_end(ap);
	if (!r) {
		fputs("#   got  '", stdout);
		tap_escaped(got, got_len);
		fputs("'\n#   want '", stdout);
		tap_escaped(want, want_len);
		fputs("'\n", stdout);
	}
	return r;
}

static inline bool __attribute__((format(printf, 3, 4)))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_result(got && want ? strcmp(got, want) == 0 : got == want, fmt, ap);
	va_end(ap);
	if (!r) {
		fputs("#   got  ", stdout);
		if (got) {
			fputc('\'', stdout);
			tap_escaped(got, strlen(got));
			fputc('\'', stdout);
		} else {
			fputs("NULL", stdout);
		}
		fputs("\n#   want ", stdout);
		if (want) {
			fputc('\'', stdout);
			tap_escaped(want, strlen(want));
			fputc('\'', stdout);
		} else {
			fputs("NULL", stdout);
		}
		fputc('\n', stdout);
	}
	return r;
}

/* The exit status for main(). */
static inline int done(void)
{
	if (!tap_state.planned)
		printf("1..%u\n", tap_state.run);
	else if (tap_state.run != tap_state.planned)
		diag("planned %u tests but ran %u", tap_state.planned, tap_state.run);
	if (tap_state.failed)
		diag("failed %u of %u", tap_state.failed, tap_state.run);
	fflush(stdout);
	return tap_state.failed || (tap_state.planned && tap_state.run != tap_state.planned) ? 1 : 0;
}

#endif
