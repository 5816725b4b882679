/* milter-proto.h — the milter protocol, version 6, as an MTA speaks it:
 * frames out, replies in.  Pure: no I/O, no globals, no allocation.
 *
 * The protocol is Sendmail's libmilter wire format (the reference is
 * libmilter's mfdef.h and docs; Postfix's src/milter/milter8.c is the other
 * MTA-side implementation).  Every packet, both ways:
 *
 *     uint32 len (network order)   length of what follows, cmd included
 *     char   cmd                   one letter: SMFIC_* out, SMFIR_* in
 *     char   data[len - 1]
 *
 * Strings are NUL-terminated; numbers are big-endian uint32 (uint16 for
 * the client port).  The MTA opens with SMFIC_OPTNEG offering a version,
 * the modification actions it can apply and the protocol steps it can
 * skip; the filter answers with its own version, the actions it wants
 * and the steps it wants skipped (or not answered: the SMFIP_NR_* bits).
 */
#ifndef SMTPD_MILTER_PROTO_H
#define SMTPD_MILTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MILTER_VERSION 6

/* libmilter's MILTER_MAX_DATA_SIZE: the largest body chunk, and the
 * largest data an MTA sends in one packet (we never offer the larger
 * SMFIP_MDS_* sizes). */
#define MILTER_CHUNK 65535
/* Our outgoing packets: the length word, the command, the data. */
#define MILTER_FRAME_OUT_MAX (4 + 1 + MILTER_CHUNK)
/* The largest reply we read: a header a filter adds (Authentication-
 * Results, rspamd's X-Spamd-Result with every symbol) is a few KiB; a
 * length past this is a broken or hostile filter, refused before any
 * byte of its data is buffered. */
#define MILTER_REPLY_MAX (MILTER_CHUNK + 1)

/* Commands, MTA -> filter (mfdef.h SMFIC_*). */
enum {
	SMFIC_ABORT = 'A',	/* forget the current message */
	SMFIC_BODY = 'B',	/* a body chunk */
	SMFIC_CONNECT = 'C',	/* host\0 family [port addr\0] */
	SMFIC_MACRO = 'D',	/* cmd (name\0 value\0)* */
	SMFIC_BODYEOB = 'E',	/* end of message */
	SMFIC_HELO = 'H',	/* helo\0 */
	SMFIC_QUIT_NC = 'K',	/* quit, connection kept for another session */
	SMFIC_HEADER = 'L',	/* name\0 value\0 */
	SMFIC_MAIL = 'M',	/* <sender>\0 (esmtp-arg\0)* */
	SMFIC_EOH = 'N',	/* end of headers */
	SMFIC_OPTNEG = 'O',	/* version actions protocol */
	SMFIC_QUIT = 'Q',	/* end of the connection */
	SMFIC_RCPT = 'R',	/* <rcpt>\0 (esmtp-arg\0)* */
	SMFIC_DATA = 'T',	/* DATA command */
	SMFIC_UNKNOWN = 'U',	/* unknown SMTP command */
};

/* Replies, filter -> MTA (mfdef.h SMFIR_*). */
enum {
	SMFIR_ADDRCPT = '+',
	SMFIR_DELRCPT = '-',
	SMFIR_ADDRCPT_PAR = '2',
	SMFIR_SHUTDOWN = '4',	/* 421: close the SMTP session */
	SMFIR_ACCEPT = 'a',
	SMFIR_REPLBODY = 'b',
	SMFIR_CONTINUE = 'c',
	SMFIR_DISCARD = 'd',
	SMFIR_CHGFROM = 'e',
	SMFIR_CONN_FAIL = 'f',	/* fail the SMTP session */
	SMFIR_ADDHEADER = 'h',	/* name\0 value\0: append a header */
	SMFIR_INSHEADER = 'i',	/* index name\0 value\0: insert a header */
	SMFIR_SETSYMLIST = 'l',
	SMFIR_CHGHEADER = 'm',	/* index name\0 value\0: change/delete */
	SMFIR_PROGRESS = 'p',	/* still working: restart the timer */
	SMFIR_QUARANTINE = 'q',
	SMFIR_REJECT = 'r',
	SMFIR_SKIP = 's',	/* no more body chunks, please */
	SMFIR_TEMPFAIL = 't',
	SMFIR_REPLYCODE = 'y',	/* "xyz[ -]text"\0: reply with this */
};

/* Actions the filter may take (SMFIF_*). */
enum {
	SMFIF_ADDHDRS = 0x01,
	SMFIF_CHGBODY = 0x02,
	SMFIF_ADDRCPT = 0x04,
	SMFIF_DELRCPT = 0x08,
	SMFIF_CHGHDRS = 0x10,
	SMFIF_QUARANTINE = 0x20,
	SMFIF_CHGFROM = 0x40,
	SMFIF_ADDRCPT_PAR = 0x80,
	SMFIF_SETSYMLIST = 0x100,
};

/* Protocol steps (SMFIP_*): NO* = do not send the event, NR_* = send it
 * but the filter will not reply. */
enum {
	SMFIP_NOCONNECT = 0x1,
	SMFIP_NOHELO = 0x2,
	SMFIP_NOMAIL = 0x4,
	SMFIP_NORCPT = 0x8,
	SMFIP_NOBODY = 0x10,
	SMFIP_NOHDRS = 0x20,
	SMFIP_NOEOH = 0x40,
	SMFIP_NR_HDR = 0x80,
	SMFIP_NOUNKNOWN = 0x100,
	SMFIP_NODATA = 0x200,
	SMFIP_SKIP = 0x400,		/* the MTA understands SMFIR_SKIP */
	SMFIP_RCPT_REJ = 0x800,		/* send rejected recipients too */
	SMFIP_NR_CONN = 0x1000,
	SMFIP_NR_HELO = 0x2000,
	SMFIP_NR_MAIL = 0x4000,
	SMFIP_NR_RCPT = 0x8000,
	SMFIP_NR_DATA = 0x10000,
	SMFIP_NR_UNKN = 0x20000,
	SMFIP_NR_EOH = 0x40000,
	SMFIP_NR_BODY = 0x80000,
	SMFIP_HDR_LEADSPC = 0x100000,	/* header values keep their leading space */
	SMFIP_MDS_256K = 0x10000000,
	SMFIP_MDS_1M = 0x20000000,
};

/* Macro stages, as SMFIR_SETSYMLIST and the negotiation reply name them
 * (SMFIM_*). */
enum milter_stage {
	SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT,
	SMFIM_DATA, SMFIM_EOM, SMFIM_EOH, SMFIM__COUNT
};

/* What we offer.  Actions: header add/insert/change, per-stage macro
 * lists, and quarantine, because OpenDMARC's and OpenDKIM's libmilter
 * refuses to connect to an MTA that does not offer it (they use it only
 * when configured to); there is no quarantine here, so a message a filter
 * asks to quarantine is refused (see milter.c).  Not body replacement,
 * recipient or sender changes: a filter that insists on them is refused
 * at negotiation by its own library, and one that asks and then uses them
 * anyway is broken.
 * Protocol: every step may be skipped or left unanswered, SMFIR_SKIP is
 * understood, header values can keep their leading space. */
#define MILTER_OFFER_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST)
#define MILTER_OFFER_PROTOCOL (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT \
	| SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR | SMFIP_NOUNKNOWN         \
	| SMFIP_NODATA | SMFIP_SKIP | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL           \
	| SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY       \
	| SMFIP_HDR_LEADSPC)

/* ---- encoding ----------------------------------------------------------- */

/* One outgoing packet, built in place.  A put past the end latches
 * overflow instead of writing; milter_frame_end() then fails. */
struct milter_frame {
	size_t len;			/* bytes in buf, length word included */
	bool overflow;
	unsigned char buf[MILTER_FRAME_OUT_MAX];
};

void milter_frame_begin(struct milter_frame *f, char cmd);
void milter_put_u32(struct milter_frame *f, uint32_t v);
void milter_put_u16(struct milter_frame *f, uint16_t v);
void milter_put_bytes(struct milter_frame *f, const void *p, size_t n);
/* @s and its terminating NUL. */
void milter_put_str(struct milter_frame *f, const char *s);
/* Fill in the length word.  0, or -EMSGSIZE after an overflow. */
int milter_frame_end(struct milter_frame *f);

/* ---- decoding ----------------------------------------------------------- */

/* Reassembles one reply packet from a byte stream, however it was cut.
 * The caller owns the buffer; it must hold MILTER_REPLY_MAX bytes. */
struct milter_reader {
	unsigned char lenbuf[4];
	size_t have;			/* bytes of the current packet so far */
	uint32_t len;			/* from the length word */
	char cmd;
	char *data;			/* caller's buffer */
};

enum milter_read_result {
	MR_MORE,		/* need more input */
	MR_PACKET,		/* r->cmd and r->data[0 .. r->len - 1) hold one packet */
	MR_EMPTY,		/* a zero length word: no command at all */
	MR_TOO_LONG,		/* the length word is past MILTER_REPLY_MAX */
};

void milter_reader_init(struct milter_reader *r, char *buf);
/* Consume bytes of @in up to the end of one packet.  *@used_r: how many.
 * After MR_PACKET the next call starts a new packet; after MR_EMPTY or
 * MR_TOO_LONG the stream is out of sync (the caller drops the filter). */
enum milter_read_result milter_reader_feed(struct milter_reader *r, const char *in, size_t n,
					   size_t *used_r);
/* Data bytes of the packet MR_PACKET reported (len - 1). */
static inline size_t milter_reader_datalen(const struct milter_reader *r)
{
	return r->len - 1;
}

enum milter_reply_kind {
	MRK_ACCEPT,		/* stop filtering (connection or message) */
	MRK_CONTINUE,
	MRK_REJECT,
	MRK_TEMPFAIL,
	MRK_DISCARD,		/* take the message, deliver nothing */
	MRK_REPLYCODE,		/* reject/tempfail with the filter's text */
	MRK_SHUTDOWN,		/* SMFIR_SHUTDOWN/SMFIR_CONN_FAIL: 421, close */
	MRK_SKIP,		/* no more body chunks */
	MRK_PROGRESS,		/* keep waiting */
	MRK_ADDHEADER,
	MRK_INSHEADER,
	MRK_CHGHEADER,
	MRK_QUARANTINE,		/* reason in text */
	MRK_OPTNEG,
	MRK_UNSUPPORTED,	/* a known request we never offer (body, rcpts, ...) */
};

/* A parsed reply.  Strings point into the reader's buffer. */
struct milter_reply {
	enum milter_reply_kind kind;
	char cmd;
	/* MRK_REPLYCODE: the whole text as sent ("550 5.7.1 Spam"), one or
	 * more CRLF-separated lines; code is its number.  MRK_QUARANTINE:
	 * the reason (any bytes but NUL: escape it before logging). */
	const char *text;
	int code;
	/* MRK_*HEADER: index (INS: position, 0 = first; CHG: which
	 * occurrence of the name, from 1), name, value.  An empty value in
	 * CHGHEADER deletes the header.  Folded values hold LF or CRLF
	 * followed by white space. */
	uint32_t index;
	const char *name, *value;
	/* MRK_OPTNEG */
	uint32_t version, actions, protocol;
	const char *macros[SMFIM__COUNT];	/* NULL: not given */
};

enum milter_parse_result {
	MP_OK,
	MP_UNKNOWN,		/* a command letter we do not know */
	MP_MALFORMED,		/* wrong length, missing NUL, bad name or value */
	MP_BAD_REPLY,		/* SMFIR_REPLYCODE text is not a valid 4xx/5xx reply */
};

/* Parse the packet (@cmd, @data, @n data bytes).  @data[@n] need not be
 * NUL: every string must end inside the packet. */
enum milter_parse_result milter_reply_parse(char cmd, const char *data, size_t n,
					    struct milter_reply *r);

/* An SMTP reply a filter asks us to send: "xyz[ SP text]" lines joined by
 * CRLF, each line "xyz-" except the last "xyz " (RFC 5321 §4.2), every
 * line with the same code, the code 4xx or 5xx (a filter refuses or
 * defers; it cannot make a stage succeed or ask for more input), an
 * enhanced code, where present, of the same class (RFC 3463 §2), and the
 * text printable US-ASCII (no CR or LF but the line breaks, no control
 * characters).  Returns the code, or -1. */
int milter_reply_code_valid(const char *text);

/* A header name a filter may add (RFC 5322 §3.6.8 ftext: printable
 * US-ASCII except ':', at least one). */
bool milter_header_name_valid(const char *name);
/* A header value: no NUL (by construction), CR only in CRLF, every line
 * break followed by a space or tab (folding, RFC 5322 §2.2.3). */
bool milter_header_value_valid(const char *value);

#endif
