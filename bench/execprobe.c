/* execprobe.c — the cost of exec(2) and dynamic linking alone: a program
 * that does nothing, built plain, linked with GnuTLS and linked with
 * libsystemd, so the benchmark shows what loading a library at every
 * connection costs. */
#ifdef WITH_GNUTLS
#include <gnutls/gnutls.h>
#endif
#ifdef WITH_LIBSYSTEMD
#include <systemd/sd-journal.h>
#endif

int main(void)
{
	/* A reference that is never called keeps the library loaded (and its
	 * constructors run) under --as-needed; nothing else is done. */
#ifdef WITH_GNUTLS
	const char *(*volatile ref)(const char *) = gnutls_check_version;
#elif defined(WITH_LIBSYSTEMD)
	int (*volatile ref)(const char *, ...) = sd_journal_send;
#else
	void *volatile ref = 0;
#endif
	return ref != 0 ? 0 : 0;
}
