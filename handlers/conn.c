/* conn.c — see conn.h. */
#include "conn.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
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

int conn_wait(const struct conn *c, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, c->timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

static ssize_t raw_send(struct conn *c, const void *buf, size_t n)
{
	return c->tr ? c->tr->send(c, buf, n) : write(c->wfd, buf, n);
}

static ssize_t raw_recv(struct conn *c, void *buf, size_t n)
{
	return c->tr ? c->tr->recv(c, buf, n) : read(c->rfd, buf, n);
}

int conn_flush(struct conn *c)
{
	size_t off = 0;

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
				return r;
			continue;
		}
		return w < 0 ? -errno : -EPIPE;
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

		if (!(c->tr && c->tr->pending(c) > 0)) {
			r = conn_wait(c, c->rfd, POLLIN);
			if (r < 0)
				return r;
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
