/* proxy.h — the PROXY protocol header, versions 1 and 2, as a load
 * balancer (HAProxy send-proxy / send-proxy-v2) puts it in front of the
 * client's bytes (HAProxy's doc/proxy-protocol.txt, "the spec" below).
 *
 * Pure: no I/O, no globals.  The parser is fed the bytes as they arrive,
 * in pieces of any size, and consumes exactly the header: on PROXY_DONE
 * *used_r says how many octets of the last piece belonged to it, and the
 * rest (TLS, SMTP) is left to the caller.  While it needs more it
 * consumes everything it is given; proxy_want() tells how many octets can
 * be read without reading past the header, for a reader that cannot
 * look ahead (MSG_PEEK).
 */
#ifndef SMTPD_PROXY_H
#define SMTPD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netmatch.h"

/* Spec §2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" with
 * two full IPv6 addresses and ports). */
#define PROXY_V1_MAX 107
/* Spec §2.2: signature (12), version/command, family/transport, length. */
#define PROXY_V2_FIXED 16
/* Spec §2.2: the largest address block (AF_UNIX, 2 * 108). */
#define PROXY_V2_ADDR_MAX 216

enum proxy_result {
	PROXY_MORE,		/* everything given was consumed; need more */
	PROXY_DONE,		/* the header is complete */
	PROXY_BAD,		/* not a valid header: drop the connection */
};

/* v2's command nibble (v1 is always PROXY). */
enum proxy_command { PROXY_CMD_LOCAL = 0, PROXY_CMD_PROXY = 1 };
/* v2's family nibble; v1 TCP4 / TCP6 / UNKNOWN map to INET / INET6 / UNSPEC. */
enum proxy_family { PROXY_AF_UNSPEC = 0, PROXY_AF_INET = 1, PROXY_AF_INET6 = 2, PROXY_AF_UNIX = 3 };
/* v2's transport nibble; v1 TCP is STREAM. */
enum proxy_transport { PROXY_TR_UNSPEC = 0, PROXY_TR_STREAM = 1, PROXY_TR_DGRAM = 2 };

struct proxy_header {
	unsigned version;		/* 1 or 2 */
	enum proxy_command command;
	enum proxy_family family;
	enum proxy_transport transport;
	/* The addresses of a relayed TCP connection: set for v1 TCP4/TCP6
	 * and v2 PROXY over INET/INET6 STREAM.  Otherwise (v1 UNKNOWN, v2
	 * LOCAL, UNSPEC, UNIX or DGRAM) false, and the receiver keeps the
	 * connection's own endpoints, as the spec says for LOCAL/UNKNOWN
	 * and allows for the families it does not implement. */
	bool has_addr;
	struct netaddr src, dst;	/* IPv4-mapped IPv6 left as sent */
	uint16_t src_port, dst_port;
	unsigned tlvs;			/* v2 TLVs skipped */
	size_t length;			/* octets of the whole header */
};

enum proxy_phase {
	PP_START, PP_V1, PP_V2_FIXED, PP_V2_ADDR, PP_V2_TLV_HEAD, PP_V2_TLV_VALUE,
	PP_V2_SKIP, PP_END,
};

struct proxy_parser {
	enum proxy_phase phase;
	enum proxy_result result;	/* latched once DONE or BAD */
	const char *error;		/* why BAD, for the log line */
	size_t n;			/* octets consumed so far */
	size_t total;			/* v2: 16 + length, once known */
	size_t addr_len;		/* v2: address block octets to decode */
	size_t tlv_left;		/* v2: octets of the current TLV value */
	unsigned tlv_have;		/* v2: octets of the current TLV head seen */
	size_t blen;
	unsigned char buf[PROXY_V2_FIXED + PROXY_V2_ADDR_MAX];
	struct proxy_header hdr;
};

void proxy_init(struct proxy_parser *p);
/* Feed @n octets.  Returns PROXY_MORE (all consumed), PROXY_DONE (*@used_r
 * octets consumed, the header is in p->hdr) or PROXY_BAD (p->error says
 * why).  Once DONE or BAD, further calls consume nothing and return the
 * same. */
enum proxy_result proxy_feed(struct proxy_parser *p, const void *buf, size_t n, size_t *used_r);
/* How many octets certainly belong to the header, at least 1 while the
 * result is PROXY_MORE, 0 after. */
size_t proxy_want(const struct proxy_parser *p);

#endif
