/* sasl.c — see sasl.h. */
#include "sasl.h"

#include <errno.h>
#include <string.h>

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int sasl_base64_decode(const char *in, char *out, size_t outsize)
{
	size_t len = strlen(in), o = 0;

	if (strcmp(in, "=") == 0) {
		if (outsize < 1)
			return -ENOBUFS;
		out[0] = '\0';
		return 0;
	}
	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t pad = 0;

		for (int k = 0; k < 4; k++) {
			char c = in[i + (size_t)k];

			if (c == '=') {
				/* padding only at the very end, at most two */
				if (i + 4 != len || k < 2)
					return -EINVAL;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad)
				return -EINVAL;
			if ((v[k] = b64_value(c)) < 0)
				return -EINVAL;
		}
		/* RFC 4648 §3.5: the bits a padded quantum leaves over are
		 * zero in canonical base64; anything else is refused */
		if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3)))
			return -EINVAL;
		if (o + 3 - pad + 1 > outsize)
			return -ENOBUFS;
		out[o++] = (char)((v[0] << 2) | (v[1] >> 4));
		if (pad < 2)
			out[o++] = (char)(((v[1] & 15) << 4) | (v[2] >> 2));
		if (pad < 1)
			out[o++] = (char)(((v[2] & 3) << 6) | v[3]);
	}
	out[o] = '\0';
	return (int)o;
}

void sasl_base64_encode(const void *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
int sasl_plain_parse(const char *msg, size_t len, struct sasl_plain *r)
{
	const char *nul1 = memchr(msg, '\0', len), *nul2;
	size_t zlen, clen, plen;

	memset(r, 0, sizeof(*r));
	if (!nul1)
		return -EINVAL;
	nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg));
	if (!nul2)
		return -EINVAL;
	zlen = (size_t)(nul1 - msg);
	clen = (size_t)(nul2 - nul1 - 1);
	plen = len - (size_t)(nul2 + 1 - msg);
	if (clen == 0 || plen == 0 || memchr(nul2 + 1, '\0', plen))
		return -EINVAL;
	if (zlen > SASL_FIELD_MAX || clen > SASL_FIELD_MAX || plen > SASL_FIELD_MAX)
		return -EMSGSIZE;
	memcpy(r->authzid, msg, zlen);
	memcpy(r->authcid, nul1 + 1, clen);
	memcpy(r->passwd, nul2 + 1, plen);
	return 0;
}
