/* swarm doctor: run the check groups, print the verdicts as text or JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_checks.h"
#include "json.h"
#include "proc.h"

#define PAGE 4096ull
#define PAGEUP(x) (((x) + PAGE - 1) / PAGE * PAGE)

uint64_t doctor_shm_need(uint64_t agents, uint64_t live_bytes)
{
	return (agents + 1) * (PAGE + PAGEUP(live_bytes)) + PAGEUP(72 * agents);
}

uint64_t doctor_fd_need(uint64_t agents)
{
	return 64 + 3 * agents;
}

void check_add(struct doctor_report *r, const char *name, enum doctor_status s,
	       const char *fix, const char *found_fmt, ...)
{
	struct doctor_check *c;
	va_list ap;

	if (r->n >= DOCTOR_MAX_CHECKS)
		return;
	c = &r->c[r->n++];
	c->name = name;
	c->status = s;
	va_start(ap, found_fmt);
	vsnprintf(c->found, sizeof(c->found), found_fmt, ap);
	va_end(ap);
	snprintf(c->fix, sizeof(c->fix), "%s", s == DOCTOR_OK || !fix ? "" : fix);
}

void fmt_size(char *buf, size_t len, uint64_t b)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
}

/* mountinfo: id parent maj:min root mountpoint opts [tags] - fstype src super */
int find_mount(const char *fstype, const char *opt, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], mnt[4096], fs[64], super[1024];
	int found = -ENOENT;
	const char *dash;

	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f)) {
		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash + 3, "%63s %*s %1023s", fs, super) != 2)
			continue;
		if (strcmp(fs, fstype) || (opt && !strstr(super, opt)))
			continue;
		/* mountinfo escapes spaces as \040; such paths are not ours */
		if ((size_t)snprintf(out, len, "%s", mnt) < len)
			found = 0;
	}
	fclose(f);
	return found;
}

int own_cgroup_v2(char *root, size_t rlen, char *dir, size_t dlen)
{
	char path[4096];
	int err;

	err = find_mount("cgroup2", NULL, root, rlen);
	if (err)
		return err;
	if ((err = proc_cgroup(NULL, path, sizeof(path))))
		return err;
	if ((size_t)snprintf(dir, dlen, "%s%s", root, strcmp(path, "/") ? path : "") >= dlen)
		return -ENAMETOOLONG;
	return 0;
}

int doctor_run(const struct doctor_opts *o, struct doctor_report *r)
{
	memset(r, 0, sizeof(*r));
	r->opts = *o;
	r->shm_need = doctor_shm_need(o->agents, o->live_bytes);
	r->fd_need = doctor_fd_need(o->agents);
	doctor_container_check(r);
	doctor_host_checks(r);
	doctor_kernel_checks(r);
	doctor_bpf_checks(r);
	return 0;
}

enum doctor_status doctor_worst(const struct doctor_report *r)
{
	enum doctor_status w = DOCTOR_OK;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->c[i].status > w)
			w = r->c[i].status;
	return w;
}

const char *doctor_status_name(enum doctor_status s)
{
	return s == DOCTOR_OK ? "OK" : s == DOCTOR_WARN ? "WARN" : "FAIL";
}

static void count(const struct doctor_report *r, unsigned n[3])
{
	size_t i;

	n[0] = n[1] = n[2] = 0;
	for (i = 0; i < r->n; i++)
		n[r->c[i].status]++;
}

void doctor_print_text(FILE *f, const struct doctor_report *r)
{
	unsigned n[3];
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->c[i];

		fprintf(f, "%-4s %-18s %s%s%s\n", doctor_status_name(c->status), c->name,
			c->found, c->fix[0] ? " -> fix: " : "", c->fix);
	}
	count(r, n);
	fprintf(f, "swarm doctor: %u ok, %u warn, %u fail (for %llu agents on %s)\n",
		n[0], n[1], n[2], (unsigned long long)r->opts.agents, r->opts.shm_path);
}

/* A NUL-terminated string through the project's JSON writer. */
static void jstr(FILE *f, const char *s)
{
	json_str(f, s, strlen(s));
}

void doctor_print_json(FILE *f, const struct doctor_report *r)
{
	unsigned n[3];
	size_t i;

	count(r, n);
	fprintf(f, "{\"schema_version\":1,\"agents\":%llu,\"shm_path\":",
		(unsigned long long)r->opts.agents);
	jstr(f, r->opts.shm_path);
	fprintf(f, ",\"live_bytes_per_inbox\":%llu,\"shm_need_bytes\":%llu,"
		   "\"fd_need\":%llu,\"result\":",
		(unsigned long long)r->opts.live_bytes, (unsigned long long)r->shm_need,
		(unsigned long long)r->fd_need);
	jstr(f, doctor_status_name(doctor_worst(r)));
	fprintf(f, ",\"counts\":{\"ok\":%u,\"warn\":%u,\"fail\":%u},\"checks\":[",
		n[0], n[1], n[2]);
	for (i = 0; i < r->n; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		jstr(f, r->c[i].name);
		fputs(",\"status\":", f);
		jstr(f, doctor_status_name(r->c[i].status));
		fputs(",\"found\":", f);
		jstr(f, r->c[i].found);
		fputs(",\"fix\":", f);
		jstr(f, r->c[i].fix);
		fputc('}', f);
	}
	fputs("]}\n", f);
}
