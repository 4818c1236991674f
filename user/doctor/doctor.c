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

int own_cgroup_v2(char *root, size_t rlen, char *dir, size_t dlen)
{
	char path[4096];
	int err;

	err = proc_find_mount("cgroup2", NULL, root, rlen);
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

static void counts_json(struct jsonw *w, const struct doctor_report *r)
{
	unsigned n[3];

	count(r, n);
	jsonw_name(w, "counts");
	jsonw_start_object(w);
	jsonw_uint_field(w, "ok", n[0]);
	jsonw_uint_field(w, "warn", n[1]);
	jsonw_uint_field(w, "fail", n[2]);
	jsonw_end_object(w);
}

static void checks_json(struct jsonw *w, const struct doctor_report *r)
{
	size_t i;

	jsonw_name(w, "checks");
	jsonw_start_array(w);
	for (i = 0; i < r->n; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "name", r->c[i].name);
		jsonw_string_field(w, "status", doctor_status_name(r->c[i].status));
		jsonw_string_field(w, "found", r->c[i].found);
		jsonw_string_field(w, "fix", r->c[i].fix);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void doctor_print_json(FILE *f, const struct doctor_report *r)
{
	struct jsonw w;

	jsonw_init_file(&w, f);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "schema_version", 1);
	jsonw_uint_field(&w, "agents", r->opts.agents);
	jsonw_string_field(&w, "shm_path", r->opts.shm_path);
	jsonw_uint_field(&w, "live_bytes_per_inbox", r->opts.live_bytes);
	jsonw_uint_field(&w, "shm_need_bytes", r->shm_need);
	jsonw_uint_field(&w, "fd_need", r->fd_need);
	jsonw_string_field(&w, "result", doctor_status_name(doctor_worst(r)));
	counts_json(&w, r);
	checks_json(&w, r);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
