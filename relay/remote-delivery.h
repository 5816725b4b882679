/* remote-delivery.h — the remoteDelivery { } block of smtpd.conf(5), a
 * MODULE_GLOBAL configuration module (config/module.h), read by
 * smtpd-relay.  Key names follow Apache James' RemoteDelivery mailet. */
#ifndef SMTPD_REMOTE_DELIVERY_H
#define SMTPD_REMOTE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"
#include "schedule.h"

enum tls_level { TLS_NONE, TLS_MAY, TLS_ENCRYPT, TLS_VERIFY, TLS_DANE };
enum inet_protocols { INET_ALL, INET_IPV4, INET_IPV6 };

#define RELAY_MAX_GATEWAYS 16
#define RELAY_MAX_DNS 3

struct relay_settings {
	struct schedule schedule;
	long max_dns_problem_retries;
	long timeout_ms;		/* each read and write (James: timeout) */
	long connect_timeout_ms;	/* James: connectiontimeout */
	long session_timeout;		/* seconds, a whole delivery */
	bool send_partial;
	char *gateway[RELAY_MAX_GATEWAYS];	/* "host" or "host:port" */
	size_t ngateway;
	long gateway_port;
	char *gateway_username;
	char *gateway_password_file;	/* resolved: $CREDENTIALS_DIRECTORY first */
	char *gateway_password_name;	/* as configured (smtpd-config units) */
	bool load_balancing;
	bool start_tls;
	bool ssl_enable;		/* implicit TLS (465) */
	bool verify_server_identity;
	char *helo_name;		/* NULL: the host name */
	char *bind;			/* source address, NULL: any */
	long concurrency;
	long max_rcpt;			/* maxRecipientsPerTransaction */
	enum inet_protocols inet;
	long mx_address_limit;
	enum tls_level tls_level;
	bool tls_level_set;
	char *tls_policy_file;
	char *trusted_certificates;
	char *dns_servers[RELAY_MAX_DNS];
	size_t ndns;
	char *resolv_conf;
	bool dnssec;
	char *smtpd;			/* NULL: beside smtpd-relay */
	char *smtpd_server;		/* -s NAME for bounce injection */
	long delay_warning;		/* seconds; 0 = none */
	bool configured;		/* the block is present */
};

extern const struct config_module remote_delivery_module;

/* The settings of @cfg (defaults when the block is absent). */
struct config;
const struct relay_settings *relay_settings(const struct config *cfg);

#endif
