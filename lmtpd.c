/* lmtpd — one LMTP session (RFC 2033) on stdin/stdout.  See lmtpd(8). */
#include "server.h"

int main(int argc, char **argv)
{
	return server_main(argc, argv, PROTO_LMTP);
}
