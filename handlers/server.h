/* server.h — what smtpd.c and lmtpd.c share: the command line, loading
 * the configuration, answering 421 when it cannot be loaded, and running
 * one session on fds 0/1. */
#ifndef SMTPD_SERVER_H
#define SMTPD_SERVER_H

#include "config.h"

/* sysexits(3), as documented in smtpd(8) */
#define EXIT_USAGE 64
#define EXIT_CONFIG 78

/* A session lasts at most this many connectionTimeouts (421 4.4.2
 * after), as the units' RuntimeMaxSec= (config/units.c). */
#define SESSION_LIFETIME_FACTOR 10

/* main() of smtpd (PROTO_SMTP) and lmtpd (PROTO_LMTP). */
int server_main(int argc, char **argv, enum listener_proto proto);

#endif
