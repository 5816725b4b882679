/* smtpd-passwd — print a users-file line with a yescrypt hash.
 *
 *   smtpd-passwd [USER@DOMAIN] [< password]
 *
 * Reads the password from the terminal without echo (twice), or one line
 * from standard input when it is not a terminal, and prints
 * "USER@DOMAIN:{CRYPT}$y$..." (or just the hash without USER).
 * Exit: 0, 64 usage, 65 bad input (empty or mismatched), 70 hashing failed.
 */
#include <crypt.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASS_MAX 255

static int read_password(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(0);
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(0, &old) != 0)
			return -errno;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)size, stdin))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -E2BIG;
	buf[n] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	char pass[PASS_MAX + 2], again[PASS_MAX + 2];
	const char *user = NULL, *hash;
	char *setting;
	struct crypt_data *cd;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fprintf(argc > 2 ? stderr : stdout, "Usage: smtpd-passwd [USER@DOMAIN]\n"
			"Print a users-file line (Dovecot passwd-file) with a yescrypt hash.\n");
		return argc > 2 ? 64 : 0;
	}
	if (argc == 2) {
		user = argv[1];
		if (!strchr(user, '@') || strchr(user, ':') || strpbrk(user, " \t\r\n")) {
			fprintf(stderr, "smtpd-passwd: '%s' is not user@domain\n", user);
			return 64;
		}
	}
	if (read_password("Password: ", pass, sizeof(pass)) < 0 || !pass[0]) {
		fprintf(stderr, "smtpd-passwd: empty or too long password (at most %d octets)\n", PASS_MAX);
		return 65;
	}
	if (isatty(0)) {
		if (read_password("Again: ", again, sizeof(again)) < 0 || strcmp(pass, again) != 0) {
			explicit_bzero(pass, sizeof(pass));
			fprintf(stderr, "smtpd-passwd: passwords do not match\n");
			return 65;
		}
		explicit_bzero(again, sizeof(again));
	}
	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	cd = calloc(1, sizeof(*cd));
	hash = setting && cd ? crypt_rn(pass, setting, cd, sizeof(*cd)) : NULL;
	explicit_bzero(pass, sizeof(pass));
	if (!hash || hash[0] == '*') {
		fprintf(stderr, "smtpd-passwd: yescrypt hashing failed: %s\n", strerror(errno));
		return 70;
	}
	if (user)
		printf("%s:{CRYPT}%s\n", user, hash);
	else
		printf("{CRYPT}%s\n", hash);
	free(setting);
	free(cd);
	return 0;
}
