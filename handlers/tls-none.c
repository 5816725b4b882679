/* tls-none.c — the TLS seam while the GnuTLS transport is not built:
 * STARTTLS is neither advertised nor accepted (454). */
#include "tls.h"

#include <errno.h>

bool tls_supported(void)
{
	return false;
}

int tls_start(struct session *s)
{
	(void)s;
	return -ENOTSUP;
}

void tls_finish(struct session *s)
{
	(void)s;
}
