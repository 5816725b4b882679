/* client.h — the SMTP client side of smtpd-relay (RFC 5321).
 *
 * Blocking I/O through struct conn (handlers/conn.c) on a connected
 * socket: every read and write bounded by the idle timeout and by the
 * session's deadline.  Replies are parsed by smtp_reply_feed (pure).
 */
#ifndef SMTPD_CLIENT_H
#define SMTPD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conn.h"
#include "linereader.h"

#define REPLY_TEXT_MAX 512

/* One reply: code, enhanced code when the server sent one (RFC 3463 /
 * RFC 2034), and the text of its lines joined by spaces. */
struct smtp_reply {
	int code;
	char enh[16];
	char text[REPLY_TEXT_MAX];
	/* parser state */
	struct line_reader lr;
	char line[1024];
	bool started;
	/* EHLO keywords seen (caller resets) */
	unsigned ext;
	char auth[128];		/* the AUTH mechanisms */
};

enum {
	EXT_PIPELINING = 1, EXT_8BITMIME = 2, EXT_SMTPUTF8 = 4, EXT_DSN = 8,
	EXT_STARTTLS = 16, EXT_AUTH = 32, EXT_SIZE = 64,
};

enum reply_result { REPLY_MORE, REPLY_DONE, REPLY_BAD };

/* Pure: RFC 5321 §4.2 Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 * Reply-code [ SP textstring ] CRLF.  Feed bytes until REPLY_DONE. */
void smtp_reply_init(struct smtp_reply *r);
enum reply_result smtp_reply_feed(struct smtp_reply *r, const char *buf, size_t n, size_t *used_r);

struct smtp_client {
	struct conn conn;
	int fd;
	long long session_deadline_ms;	/* CLOCK_MONOTONIC */
	unsigned ext;
	char auth[128];
	bool tls;
	char tls_info[128];
	char host[256];			/* name of the server, for logs and DSNs */
	char addr_text[64];		/* its address */
};

/* Connect to @sa within @connect_ms, from @bind_addr (NULL: any).  0 or
 * -errno (the reason in @why). */
int smtp_connect(struct smtp_client *c, const struct sockaddr *sa, socklen_t len,
		 const struct sockaddr *bind_addr, socklen_t bind_len, int connect_ms, int idle_ms,
		 long long session_ms, char *why, size_t whysize);
/* Read one reply.  0, or -errno (connection lost, timeout, garbage). */
int smtp_read(struct smtp_client *c, struct smtp_reply *r);
/* Queue a command (CRLF added); sent by the next read or smtp_flush. */
int smtp_send(struct smtp_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int smtp_flush(struct smtp_client *c);
/* Copy @len bytes from @fd at @off to the server. */
int smtp_send_file(struct smtp_client *c, int fd, unsigned long long off);
void smtp_close(struct smtp_client *c);

struct tls_client_opts;
/* STARTTLS (RFC 3207) and the handshake; the caller sends EHLO again.
 * 0: TLS is up; 1: the server refused (its reply in @r); -errno with the
 * reason in @why (connection lost, data sent after the 220 reply, a
 * failed handshake or certificate). */
int smtp_starttls(struct smtp_client *c, const struct tls_client_opts *o, struct smtp_reply *r,
		  char *why, size_t whysize);
/* AUTH PLAIN (RFC 4616) as @user: the reply in @r.  0, -EMSGSIZE when
 * the user name or the password is longer than SASL_FIELD_MAX, or
 * -errno.  The buffers that held the password here are wiped. */
int smtp_auth_plain(struct smtp_client *c, const char *user, const char *password, struct smtp_reply *r);

#endif
