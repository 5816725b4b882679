/* conn.c — see conn.h. */
#include "conn.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void conn_init(struct conn *c, int rfd, int wfd, int timeout_ms)
{
	/* Not the buffers: they are only read below in_len and out_len, and
	 * zeroing them dirtied 8 pages of every connection. */
	memset(c, 0, offsetof(struct conn, in));
	c->rfd = rfd;
	c->wfd = wfd;
	c->timeout_ms = timeout_ms;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void conn_set_deadline(struct conn *c)
{
	c->deadline_ms = now_ms() + c->timeout_ms;
	if (c->end_ms && c->deadline_ms > c->end_ms)
		c->deadline_ms = c->end_ms;
}

void conn_set_lifetime(struct conn *c, long long ms)
{
	c->end_ms = now_ms() + ms;
}

/* Reads only: the last replies (421) still go out. */
static bool lifetime_over(struct conn *c)
{
	if (c->end_ms && !c->lifetime_over && now_ms() >= c->end_ms)
		c->lifetime_over = true;
	return c->lifetime_over;
}

int conn_wait(const struct conn *c, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do {
		int wait = c->timeout_ms;

		/* past the deadline: still take what is ready, wait no more */
		if (c->deadline_ms) {
			long long left = c->deadline_ms - now_ms();

			if (left < wait)
				wait = left > 0 ? (int)left : 0;
		}
		r = poll(&p, 1, wait);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

/* Never block in write(2): the launcher's socket is blocking, and a peer
 * that stops reading would hold the process forever.  A socket is written
 * with MSG_DONTWAIT (EAGAIN sends conn_flush to poll with the timeout); a
 * pipe only after poll() said it has room, at most PIPE_BUF octets, which
 * then fit without blocking. */
static ssize_t raw_send(struct conn *c, const void *buf, size_t n)
{
	ssize_t w;
	int r;

	if (c->tr)
		return c->tr->send(c, buf, n);
	if (!c->wfd_not_socket) {
		w = send(c->wfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w >= 0 || errno != ENOTSOCK)
			return w;
		c->wfd_not_socket = true;
	}
	if ((r = conn_wait(c, c->wfd, POLLOUT)) < 0) {
		errno = -r;
		return -1;
	}
	return write(c->wfd, buf, n < PIPE_BUF ? n : PIPE_BUF);
}

static ssize_t raw_recv(struct conn *c, void *buf, size_t n)
{
	return c->tr ? c->tr->recv(c, buf, n) : read(c->rfd, buf, n);
}

int conn_flush(struct conn *c)
{
	size_t off = 0;

	if (c->write_error)
		return c->write_error;
	while (off < c->out_len) {
		ssize_t w = raw_send(c, c->out + off, c->out_len - off);

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* a client that stops reading is bounded too */
			int r = conn_wait(c, c->wfd, POLLOUT);

			if (r < 0)
				return c->write_error = r;
			continue;
		}
		return c->write_error = w < 0 ? -errno : -EPIPE;
	}
	c->bytes_out += c->out_len;
	c->out_len = 0;
	return 0;
}

int conn_write(struct conn *c, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		size_t room = sizeof(c->out) - c->out_len, k = n < room ? n : room;
		int r;

		memcpy(c->out + c->out_len, p, k);
		c->out_len += k;
		p += k;
		n -= k;
		if (c->out_len == sizeof(c->out) && (r = conn_flush(c)) < 0)
			return r;
	}
	return 0;
}

int conn_fill(struct conn *c)
{
	int r;

	if (c->in_pos == c->in_len)
		c->in_pos = c->in_len = 0;
	if (c->in_len == sizeof(c->in)) {
		memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
		c->in_len -= c->in_pos;
		c->in_pos = 0;
	}
	if ((r = conn_flush(c)) < 0)
		return r;
	for (;;) {
		ssize_t n;

		/* checked here, not only when a wait times out: a client
		 * that always has the next command ready never waits */
		if (lifetime_over(c))
			return -ETIMEDOUT;
		if (!(c->tr && c->tr->pending(c) > 0)) {
			r = conn_wait(c, c->rfd, POLLIN);
			if (r < 0)
				return r == -ETIMEDOUT && lifetime_over(c) ? -ETIMEDOUT : r;
		}
		n = raw_recv(c, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->bytes_in += (unsigned long long)n;
			return (int)n;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
	}
}

size_t conn_buffered(const struct conn *c)
{
	return c->in_len - c->in_pos + (c->tr ? c->tr->pending(c) : 0);
}
