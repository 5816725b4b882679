/* schedule.c — see schedule.h. */
#include "schedule.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	long long ms;
} units[] = {
	{ "ms", 1 }, { "msec", 1 }, { "msecs", 1 },
	{ "s", 1000 }, { "sec", 1000 }, { "secs", 1000 },
	{ "m", 60000 }, { "min", 60000 }, { "mins", 60000 }, { "minute", 60000 }, { "minutes", 60000 },
	{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
	{ "d", 86400000 }, { "day", 86400000 }, { "days", 86400000 },
};

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

/* A non-negative decimal that fits an int (Java's Integer.parseInt). */
static bool parse_int(const char *p, const char *end, long long *v_r)
{
	long long v = 0;

	if (p == end)
		return false;
	for (; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		v = v * 10 + (*p - '0');
		if (v > 2147483647)
			return false;
	}
	*v_r = v;
	return true;
}

/* DurationParser: \s*([0-9]+)\s*([a-zA-Z]*)\s* */
static bool parse_duration(const char *p, const char *end, long long *ms_r)
{
	const char *num, *unit;
	long long v, mult = 1;

	p = skip_space(p, end);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	num = p;
	while (p < end && isdigit((unsigned char)*p))
		p++;
	if (!parse_int(num, p, &v))
		return false;
	unit = skip_space(p, end);
	if (unit < end) {
		size_t len = (size_t)(end - unit);
		bool found = false;

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == len && strncasecmp(units[i].name, unit, len) == 0) {
				mult = units[i].ms;
				found = true;
			}
		if (!found)
			return false;
	}
	*ms_r = v * mult;
	return true;
}

bool schedule_parse(const char *delay_time, long max_retries, struct schedule *s,
		    char *why, size_t whysize)
{
	const char *p = delay_time ? delay_time : SCHEDULE_DEFAULT;
	unsigned long long total = 0;

	memset(s, 0, sizeof(*s));
	while (*p) {
		const char *end = strchr(p, ','), *star;
		long long attempts = 1, ms;

		if (!end)
			end = p + strlen(p);
		if (skip_space(p, end) == end) {	/* omitEmptyStrings */
			p = *end ? end + 1 : end;
			continue;
		}
		if (s->n == SCHEDULE_MAX_ITEMS) {
			snprintf(why, whysize, "more than %d delays", SCHEDULE_MAX_ITEMS);
			return false;
		}
		star = memchr(p, '*', (size_t)(end - p));
		if (star) {
			const char *a = skip_space(p, star), *ae = star;

			while (ae > a && isspace((unsigned char)ae[-1]))
				ae--;
			if (memchr(star + 1, '*', (size_t)(end - star - 1)) || !parse_int(a, ae, &attempts)) {
				snprintf(why, whysize, "'%.*s' is not [attempts*]duration", (int)(end - p), p);
				return false;
			}
		}
		if (!parse_duration(star ? star + 1 : p, end, &ms)) {
			snprintf(why, whysize, "'%.*s' is not a duration (a number, then ms, s, m, h or d)",
				 (int)(end - p), p);
			return false;
		}
		s->item[s->n].attempts = (unsigned)attempts;
		s->item[s->n].ms = ms;
		s->n++;
		total += (unsigned long long)attempts;
		p = *end ? end + 1 : end;
	}
	if (s->n == 0) {
		snprintf(why, whysize, "no delay given");
		return false;
	}
	if (total > 100000) {
		snprintf(why, whysize, "%llu attempts are too many", total);
		return false;
	}
	if (max_retries < 0 || (unsigned long long)max_retries <= total) {
		s->max_retries = (unsigned)total;
	} else {
		s->item[s->n - 1].attempts += (unsigned)((unsigned long long)max_retries - total);
		s->max_retries = (unsigned)max_retries;
	}
	return true;
}

long long schedule_delay(const struct schedule *s, unsigned tries)
{
	unsigned k = tries;

	if (tries == 0 || tries > s->max_retries)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		if (k <= s->item[i].attempts)
			return s->item[i].ms / 1000;
		k -= s->item[i].attempts;
	}
	return -1;
}
