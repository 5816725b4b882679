/* conn.h — the client connection: fd 0 in, fd 1 out, buffered both ways,
 * every blocking call bounded by poll() with the idle timeout.
 *
 * Pending replies are flushed before every blocking read, so PIPELINING
 * (RFC 2920) needs nothing else: replies to a pipelined batch go out in
 * one write when the batch is consumed.  A transport layer (TLS) can
 * replace the raw read/write through the ops pointer.
 */
#ifndef SMTPD_CONN_H
#define SMTPD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONN_BUF 16384

struct conn;

struct conn_transport {
	/* Like read(2)/write(2): >0, 0 at EOF, -1 with errno (EAGAIN allowed). */
	ssize_t (*recv)(struct conn *c, void *buf, size_t n);
	ssize_t (*send)(struct conn *c, const void *buf, size_t n);
	/* Bytes the transport holds already decoded (TLS records). */
	size_t (*pending)(const struct conn *c);
};

struct conn {
	int rfd, wfd;
	int timeout_ms;			/* idle limit for each wait */
	long long deadline_ms;		/* CLOCK_MONOTONIC; 0: none (see conn_set_deadline) */
	long long end_ms;		/* end of the session's lifetime; 0: none */
	bool lifetime_over;		/* a read failed because end_ms passed */
	bool wfd_not_socket;		/* wfd is a pipe or file: no send(MSG_DONTWAIT) */
	int write_error;		/* latched: a peer we cannot write to is gone */
	const struct conn_transport *tr;	/* NULL: plain fds */
	void *tr_data;
	size_t in_pos, in_len;
	size_t out_len;
	unsigned long long bytes_in, bytes_out;
	/* the buffers last: conn_init() zeroes everything before them */
	char in[CONN_BUF];
	char out[CONN_BUF];
};

void conn_init(struct conn *c, int rfd, int wfd, int timeout_ms);
/* Read more input (after flushing output).  Returns bytes read, 0 at EOF,
 * -ETIMEDOUT when idle too long, -errno on error (also once a write has
 * failed: the session then ends instead of answering into the void). */
int conn_fill(struct conn *c);
/* Queue @n bytes; flushes when the buffer fills.  0 or -errno. */
int conn_write(struct conn *c, const void *buf, size_t n);
int conn_flush(struct conn *c);
/* Input bytes received but not yet consumed (including the transport's). */
size_t conn_buffered(const struct conn *c);
/* Wait until @fd is ready for @events, at most the idle timeout and at
 * most until the deadline.  0, -ETIMEDOUT, or -errno.  For transports
 * that do their own I/O. */
int conn_wait(const struct conn *c, int fd, short events);
/* From now, the next unit of input (one command line, one line of DATA)
 * must arrive, and pending replies go out, within the idle timeout in
 * total, however the peer spaces its bytes: a client that sends one byte
 * at a time (slowloris) or stops reading cannot hold the process.  The
 * session calls it before each line it reads. */
void conn_set_deadline(struct conn *c);
/* The whole session ends @ms from now: later deadlines are cut there, and
 * from then on conn_fill() fails with -ETIMEDOUT and sets lifetime_over
 * (pending replies can still be flushed), so a client that keeps a
 * session busy cannot hold the process for ever, whatever the launcher
 * (xinetd and tcpserver have no RuntimeMaxSec=). */
void conn_set_lifetime(struct conn *c, long long ms);

#endif
