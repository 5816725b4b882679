/* smtpd — one SMTP session (RFC 5321) on stdin/stdout.  See smtpd(8). */
#include "server.h"

int main(int argc, char **argv)
{
	return server_main(argc, argv, PROTO_SMTP);
}
