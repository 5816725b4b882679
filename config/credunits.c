/* credunits.c — see credunits.h. */
#include "credunits.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* systemd's unit search path for the system manager, the directories
 * where units are installed (systemd.unit(5)); $SYSTEMD_UNIT_PATH
 * replaces it, as it does for systemd. */
static const char default_path[] =
	"/etc/systemd/system:/run/systemd/system:/usr/local/lib/systemd/system:"
	"/usr/lib/systemd/system:/lib/systemd/system";

/* Whether ExecStart= @cmd passes "-s @listener" or "--server=@listener". */
static bool runs_listener(char *cmd, const char *listener)
{
	char *save = NULL, *prev = NULL;

	for (char *w = strtok_r(cmd, " \t", &save); w; prev = w, w = strtok_r(NULL, " \t", &save)) {
		if (strncmp(w, "--server=", 9) == 0 && strcmp(w + 9, listener) == 0)
			return true;
		if (prev && (strcmp(prev, "-s") == 0 || strcmp(prev, "--server") == 0) && strcmp(w, listener) == 0)
			return true;
	}
	return false;
}

/* Read one unit file or drop-in: whether it runs @listener (*@runs),
 * and what it does to the credential @id (*@loads: set by
 * LoadCredential=ID[:PATH], reset by an empty LoadCredential=). */
static void read_unit(const char *path, const char *listener, const char *id, bool *runs, bool *loads)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, idlen = strlen(id);

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *v;

		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "ExecStart=", 10) == 0) {
			*runs = runs_listener(line + 10, listener);
		} else if (strncmp(line, "LoadCredential=", 15) == 0) {
			v = line + 15;
			if (!*v)
				*loads = false;
			else if (strncmp(v, id, idlen) == 0 && (v[idlen] == ':' || v[idlen] == '\0'))
				*loads = true;
		}
	}
	free(line);
	fclose(f);
}

static bool is_template_service(const char *name)
{
	size_t n = strlen(name);

	return n > 9 && strcmp(name + n - 9, "@.service") == 0;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Whether unit file @unitfile (named @name) runs @listener and loads
 * credential @id: the file, then its drop-ins NAME.d/ *.conf from every
 * directory of @dirs (colon separated), each directory's in name order. */
static bool unit_loads(const char *dirs, const char *name, const char *unitfile,
		       const char *listener, const char *id)
{
	bool runs = false, loads = false;
	char *copy = strdup(dirs), *save = NULL, path[4096];

	read_unit(unitfile, listener, id, &runs, &loads);
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		struct dirent **ents;
		int n;

		snprintf(path, sizeof(path), "%s/%s.d", d, name);
		n = scandir(path, &ents, conf_filter, alphasort);
		for (int i = 0; i < n; i++) {
			char file[4096 + 256];

			snprintf(file, sizeof(file), "%s/%s", path, ents[i]->d_name);
			read_unit(file, listener, id, &runs, &loads);
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
	free(copy);
	return runs && loads;
}

bool credential_unit(const char *listener, const char *key, char *unit, size_t unitsize)
{
	const char *env = getenv("SYSTEMD_UNIT_PATH");
	const char *dirs = env && *env ? env : default_path;
	const char *id = strrchr(key, '/');
	char *copy = strdup(dirs), *save = NULL;
	bool found = false;

	id = id ? id + 1 : key;
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && !found; d = strtok_r(NULL, ":", &save)) {
		DIR *dir = opendir(d);
		struct dirent *e;

		while (dir && !found && (e = readdir(dir))) {
			char path[4096 + 256];

			if (!is_template_service(e->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", d, e->d_name);
			if (unit_loads(dirs, e->d_name, path, listener, id)) {
				snprintf(unit, unitsize, "%s", e->d_name);
				found = true;
			}
		}
		if (dir)
			closedir(dir);
	}
	free(copy);
	return found;
}
