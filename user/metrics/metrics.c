/* Metric registry: families and their samples, with the naming and value
 * rules of the Prometheus text format checked on the way in. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_impl.h"

static bool name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (colon && c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

static bool ident_valid(const char *s, bool colon)
{
	size_t i;

	if (!s || !s[0] || strlen(s) > 200)
		return false;
	for (i = 0; s[i]; i++)
		if (!name_char(s[i], i == 0, colon))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static bool family_name_ok(const char *name, enum metric_type t)
{
	if (!ident_valid(name, true))
		return false;
	switch (t) {
	case METRIC_COUNTER:
		return ends_with(name, "_total");
	case METRIC_GAUGE:
		return !ends_with(name, "_total");
	case METRIC_HISTOGRAM:
		return !ends_with(name, "_bucket") && !ends_with(name, "_sum") &&
		       !ends_with(name, "_count") && !ends_with(name, "_total");
	}
	return false;
}

int metrics_new(struct metrics **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void sample_free(struct metric_sample *s)
{
	free(s->labels);
	free(s->slots);
}

void metrics_free(struct metrics *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->f[i].n; j++)
			sample_free(&m->f[i].s[j]);
		free(m->f[i].s);
		free(m->f[i].name);
		free(m->f[i].help);
	}
	free(m->f);
	free(m);
}

static struct metric_family *family_find(const struct metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->f[i].name, name))
			return &m->f[i];
	return NULL;
}

/* Grow a (ptr, cap) array to hold at least n + 1 elements. */
static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*p = np;
	*cap = ncap;
	return 0;
}

int metrics_declare(struct metrics *m, const char *name, enum metric_type t,
		    const char *help)
{
	struct metric_family *f = family_find(m, name);
	int err;

	if (f)
		return f->type == t ? 0 : -EEXIST;
	if (!family_name_ok(name, t))
		return -EINVAL;
	err = grow((void **)&m->f, &m->cap, m->n, sizeof(*m->f));
	if (err)
		return err;
	f = &m->f[m->n];
	memset(f, 0, sizeof(*f));
	f->type = t;
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		return -ENOMEM;
	}
	m->n++;
	return 0;
}

/* Append `"v"` to out with the exposition-format escapes. */
static void escape_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '"')
			fputs("\\\"", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* Render labels to `a="x",b="y"`, refusing bad or duplicate names. */
static int labels_render(const struct metric_label *l, size_t nl, bool histogram,
			 char **out)
{
	size_t i, j, len;
	FILE *f;

	for (i = 0; i < nl; i++) {
		if (!ident_valid(l[i].name, false) || !strncmp(l[i].name, "__", 2) ||
		    !l[i].value)
			return -EINVAL;
		if (histogram && !strcmp(l[i].name, "le"))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(l[i].name, l[j].name))
				return -EINVAL;
	}
	f = open_memstream(out, &len);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < nl; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "", l[i].name);
		escape_value(f, l[i].value);
		fputc('"', f);
	}
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Find or create the sample of family `name` with these labels. */
static int sample_get(struct metrics *m, const char *name, enum metric_type t,
		      const struct metric_label *l, size_t nl,
		      struct metric_sample **out)
{
	struct metric_family *f = family_find(m, name);
	char *labels = NULL;
	size_t i;
	int err;

	if (!f)
		return -ENOENT;
	if (f->type != t || (nl && !l))
		return -EINVAL;
	err = labels_render(l, nl, t == METRIC_HISTOGRAM, &labels);
	if (err)
		return err;
	for (i = 0; i < f->n; i++) {
		if (!strcmp(f->s[i].labels, labels)) {
			free(labels);
			*out = &f->s[i];
			return 0;
		}
	}
	err = grow((void **)&f->s, &f->cap, f->n, sizeof(*f->s));
	if (err) {
		free(labels);
		return err;
	}
	f->s[f->n].labels = labels;
	*out = &f->s[f->n++];
	return 0;
}

static int scalar_type(const struct metrics *m, const char *name, enum metric_type *t)
{
	const struct metric_family *f = family_find(m, name);

	if (!f)
		return -ENOENT;
	if (f->type == METRIC_HISTOGRAM)
		return -EINVAL;
	*t = f->type;
	return 0;
}

int metrics_set(struct metrics *m, const char *name,
		const struct metric_label *l, size_t nl, double v)
{
	struct metric_sample *s;
	enum metric_type t;
	int err = scalar_type(m, name, &t);

	if (err)
		return err;
	if (t == METRIC_COUNTER && (isnan(v) || v < 0))
		return -EINVAL;
	err = sample_get(m, name, t, l, nl, &s);
	if (err)
		return err;
	s->value = v;
	return 0;
}

int metrics_add(struct metrics *m, const char *name,
		const struct metric_label *l, size_t nl, double delta)
{
	struct metric_sample *s;
	enum metric_type t;
	int err = scalar_type(m, name, &t);

	if (err)
		return err;
	if (isnan(delta) || (t == METRIC_COUNTER && delta < 0))
		return -EINVAL;
	err = sample_get(m, name, t, l, nl, &s);
	if (err)
		return err;
	s->value += delta;
	return 0;
}

int metrics_set_log2(struct metrics *m, const char *name,
		     const struct metric_label *l, size_t nl,
		     const uint64_t *slots, size_t nslots, double scale,
		     double sum)
{
	struct metric_sample *s;
	uint64_t *copy;
	int err;

	if (!slots || nslots == 0 || nslots > METRICS_LOG2_MAX_SLOTS ||
	    !isfinite(scale) || scale <= 0 || isnan(sum) || sum < 0)
		return -EINVAL;
	copy = malloc(nslots * sizeof(*copy));
	if (!copy)
		return -ENOMEM;
	err = sample_get(m, name, METRIC_HISTOGRAM, l, nl, &s);
	if (err) {
		free(copy);
		return err;
	}
	memcpy(copy, slots, nslots * sizeof(*copy));
	free(s->slots);
	s->slots = copy;
	s->nslots = nslots;
	s->scale = scale;
	s->sum = sum;
	return 0;
}

double metrics_log2_sum_estimate(const uint64_t *slots, size_t nslots)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < nslots && i < METRICS_LOG2_MAX_SLOTS; i++)
		sum += (double)slots[i] * (i ? 1.5 * (double)(1ull << i) : 0.5);
	return sum;
}
