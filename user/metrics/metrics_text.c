/* Render the registry as Prometheus text format 0.0.4, to a stream, a
 * buffer, or a textfile-collector file (temp + rename). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics_impl.h"
#include "util.h"

/* Shortest of %.15g / %.17g that reads back as the same double; Go's
 * parser (Prometheus) wants +Inf, -Inf and NaN spelled so. */
static void fmt_double(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

static void write_help(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fputc('\n', f);
}

static const char *type_name(enum metric_type t)
{
	switch (t) {
	case METRIC_COUNTER: return "counter";
	case METRIC_GAUGE: return "gauge";
	case METRIC_HISTOGRAM: return "histogram";
	}
	return "untyped";
}

/* name_suffix{labels[,extra]} value */
static void write_line(FILE *f, const char *name, const char *suffix,
		       const char *labels, const char *extra, const char *value)
{
	bool any = labels[0] || extra;

	fprintf(f, "%s%s%s%s%s%s%s %s\n", name, suffix, any ? "{" : "", labels,
		labels[0] && extra ? "," : "", extra ? extra : "", any ? "}" : "",
		value);
}

/* 2^k for 0 <= k <= 64 without libm. */
static double pow2(unsigned k)
{
	return k < 64 ? (double)(1ull << k) : 2.0 * (double)(1ull << 63);
}

static void write_histogram(FILE *f, const char *name, const struct metric_sample *s)
{
	char le[64], extra[80], val[64];
	uint64_t cum = 0;
	size_t i;

	/* The last slot is open-ended: kernel histograms clamp larger values
	 * into it, so it has no finite upper bound and only +Inf holds it. */
	for (i = 0; i + 1 < s->nslots; i++) {
		cum += s->slots[i];
		/* Integer raw values of slots 0..i are all <= 2^(i+1) - 1. */
		/* 12 digits: boundaries differ by ~2x, and 3e-09 reads
		 * better than 3.0000000000000004e-09. */
		snprintf(le, sizeof(le), "%.12g", (pow2((unsigned)i + 1) - 1) * s->scale);
		snprintf(extra, sizeof(extra), "le=\"%s\"", le);
		snprintf(val, sizeof(val), "%llu", (unsigned long long)cum);
		write_line(f, name, "_bucket", s->labels, extra, val);
	}
	cum += s->slots[s->nslots - 1];
	snprintf(val, sizeof(val), "%llu", (unsigned long long)cum);
	write_line(f, name, "_bucket", s->labels, "le=\"+Inf\"", val);
	fmt_double(val, sizeof(val), s->sum);
	write_line(f, name, "_sum", s->labels, NULL, val);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)cum);
	write_line(f, name, "_count", s->labels, NULL, val);
}

int metrics_write(const struct metrics *m, FILE *f)
{
	char val[64];
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		const struct metric_family *fam = &m->f[i];

		write_help(f, fam->name, fam->help);
		fprintf(f, "# TYPE %s %s\n", fam->name, type_name(fam->type));
		for (j = 0; j < fam->n; j++) {
			if (fam->type == METRIC_HISTOGRAM) {
				write_histogram(f, fam->name, &fam->s[j]);
				continue;
			}
			fmt_double(val, sizeof(val), fam->s[j].value);
			write_line(f, fam->name, "", fam->s[j].labels, NULL, val);
		}
	}
	return ferror(f) ? -EIO : 0;
}

int metrics_render(const struct metrics *m, char **text, size_t *len)
{
	FILE *f;
	int err;

	*text = NULL;
	f = open_memstream(text, len);
	if (!f)
		return -ENOMEM;
	err = metrics_write(m, f);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

/* Split path into a directory (malloc'd, "." if none) and a base name. */
static int split_path(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	if (!**base || !strcmp(*base, ".") || !strcmp(*base, ".."))
		return -EINVAL;
	if (!slash)
		*dir = strdup(".");
	else if (slash == path)
		*dir = strdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path));
	return *dir ? 0 : -ENOMEM;
}

int metrics_write_file(const struct metrics *m, const char *path)
{
	char *text = NULL, *dir = NULL, *tmp = NULL;
	const char *base;
	size_t len;
	int fd = -1, err;

	if (!path || !path[0] || strlen(path) >= 4096)
		return -EINVAL;
	err = split_path(path, &dir, &base);
	if (err)
		return err;
	err = metrics_render(m, &text, &len);
	if (err)
		goto out;
	/* Hidden and without the .prom suffix: the collector skips it. */
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	err = write_full(fd, text, len);
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	fd = -1;
	if (!err && rename(tmp, path))
		err = -errno;
out:
	if (err && tmp)
		unlink(tmp);
	free(tmp);
	free(text);
	free(dir);
	return err;
}
