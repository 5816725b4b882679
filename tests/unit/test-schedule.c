/* test-schedule.c — delayTime/maxRetries as James' DelaysAndMaxRetry
 * reads them (relay/schedule.h). */
#include "schedule.h"

#include "tap.h"
#include "testutil.h"

static void test_default(void)
{
	struct schedule s;
	char why[256];
	long long total = 0;

	ok(schedule_parse(NULL, -1, &s, why, sizeof(why)), "default parses");
	is_int(s.max_retries, 25, "default: 1 + 4 + 2 + 18 retries");
	is_int(schedule_delay(&s, 1), 300, "first retry after 5 minutes (greylisting)");
	is_int(schedule_delay(&s, 2), 900, "then 15 minutes");
	is_int(schedule_delay(&s, 5), 900, "fourth 15 minutes");
	is_int(schedule_delay(&s, 6), 10800, "then 3 hours");
	is_int(schedule_delay(&s, 8), 21600, "then 6 hours");
	is_int(schedule_delay(&s, 25), 21600, "the 25th retry");
	is_int(schedule_delay(&s, 26), -1, "then give up");
	is_int(schedule_delay(&s, 0), -1, "no try 0");
	for (unsigned t = 1; t <= s.max_retries; t++)
		total += schedule_delay(&s, t);
	ok(total > 4 * 86400 && total < 5 * 86400, "about 4.8 days in all (%lld s): RFC 5321 §4.5.4.1", total);
}

struct pcase {
	const char *delay;
	long max;
	bool ok;
	unsigned want_max;
	long long d1, d2, dlast;	/* delays after try 1, 2 and max */
};

static const struct pcase cases[] = {
	/* James' documentation example */
	{ "4*15 minutes, 2*3 hours, 18*6 hours", -1, true, 24, 900, 900, 21600 },
	/* no unit: milliseconds (DurationParser's default) */
	{ "5000, 100000, 500000", -1, true, 3, 5, 100, 500 },
	{ "2 * 1 h", -1, true, 2, 3600, 3600, 3600 },
	{ "1d", -1, true, 1, 86400, 0, 86400 },
	{ "1 Day", -1, true, 1, 86400, 0, 86400 },
	{ "30 secs,,2*1m", -1, true, 3, 30, 60, 60 },	/* empty items skipped */
	{ "90s", -1, true, 1, 90, 0, 90 },
	{ "1500ms", -1, true, 1, 1, 0, 1 },
	/* maxRetries above the sum: the last delay repeats */
	{ "1 minute, 1 hour", 5, true, 5, 60, 3600, 3600 },
	/* maxRetries below the sum: raised to the sum (James warns) */
	{ "3*1 minute", 1, true, 3, 60, 60, 60 },
	{ "0*1m, 2*2m", -1, true, 2, 120, 120, 120 },
	{ "", -1, false, 0, 0, 0, 0 },
	{ ",", -1, false, 0, 0, 0, 0 },
	{ "5 fortnights", -1, false, 0, 0, 0, 0 },
	{ "m", -1, false, 0, 0, 0, 0 },
	{ "-5m", -1, false, 0, 0, 0, 0 },
	{ "2*3*4m", -1, false, 0, 0, 0, 0 },
	{ "x*4m", -1, false, 0, 0, 0, 0 },
	{ "*4m", -1, false, 0, 0, 0, 0 },
	{ "99999999999 s", -1, false, 0, 0, 0, 0 },
};

static void test_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct pcase *c = &cases[i];
		struct schedule s;
		char why[256] = "";
		bool r = schedule_parse(c->delay, c->max, &s, why, sizeof(why));

		if (!ok(r == c->ok, "'%s' maxRetries %ld: %s", c->delay, c->max, c->ok ? "accepted" : "refused"))
			diag("  %s", why);
		if (!r || !c->ok)
			continue;
		is_int(s.max_retries, c->want_max, "'%s': maxRetries", c->delay);
		is_int(schedule_delay(&s, 1), c->d1, "'%s': after try 1", c->delay);
		if (c->want_max >= 2)
			is_int(schedule_delay(&s, 2), c->d2, "'%s': after try 2", c->delay);
		is_int(schedule_delay(&s, c->want_max), c->dlast, "'%s': after the last", c->delay);
		is_int(schedule_delay(&s, c->want_max + 1), -1, "'%s': then give up", c->delay);
	}
}

int main(void)
{
	test_default();
	test_cases();
	return done();
}
