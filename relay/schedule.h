/* schedule.h — when a deferred message is tried again.
 *
 * Pure.  delayTime and maxRetries read exactly as Apache James'
 * RemoteDelivery reads them (DelaysAndMaxRetry, Delay, DurationParser):
 *   delayTime  = delay *( "," delay )      (empty items skipped)
 *   delay      = [ attempts "*" ] duration (spaces allowed around "*")
 *   duration   = number [ unit ]           (no unit: milliseconds)
 *   unit       = ms|msec|msecs | s|sec|secs | m|min|mins|minute|minutes
 *              | h|hour|hours | d|day|days (any case)
 * When the attempts listed add up to more than maxRetries, maxRetries is
 * raised to their sum; when to fewer, the last delay is repeated.  (James
 * warns and keeps the delays parsed before a bad one; we refuse the
 * configuration instead.)
 */
#ifndef SMTPD_SCHEDULE_H
#define SMTPD_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#define SCHEDULE_MAX_ITEMS 32

/* One greylisting retry after 5 minutes, then James' documented
 * "4*15 minutes, 2*3 hours, 18*6 hours" (about 4.8 days, RFC 5321
 * §4.5.4.1: give up after 4-5 days). */
#define SCHEDULE_DEFAULT "5 minutes, 4*15 minutes, 2*3 hours, 18*6 hours"

struct schedule {
	struct {
		unsigned attempts;
		long long ms;
	} item[SCHEDULE_MAX_ITEMS];
	size_t n;
	unsigned max_retries;
};

/* Parse @delay_time (NULL: SCHEDULE_DEFAULT) with @max_retries (< 0:
 * unset, the sum of the attempts).  false with a message in @why. */
bool schedule_parse(const char *delay_time, long max_retries, struct schedule *s_r,
		    char *why, size_t whysize);
/* The wait in seconds after failed try number @tries (1 = the first
 * try), or -1 when @tries exceeds maxRetries: give up. */
long long schedule_delay(const struct schedule *s, unsigned tries);

#endif
