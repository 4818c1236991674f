/* Plain-command input: ::: / :::: / --tasks / stdin, -0, --colsep. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_input.h"

struct span {
	const char *p;
	size_t len;
};

/* One source, split into records and each record into columns. */
struct recs {
	char *buf;            /* file contents (owned), or NULL */
	struct span *col;     /* every column of every record */
	size_t *first;        /* record i: columns first[i] .. first[i+1]-1 */
	size_t n, ncol, cap, capcol;
};

static int add_src(struct input_cfg *c, struct input_src s)
{
	struct input_src *n = realloc(c->src, (c->nsrc + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->src = n;
	c->src[c->nsrc++] = s;
	return 0;
}

int input_add_file(struct input_cfg *c, const char *path)
{
	return add_src(c, (struct input_src){ .kind = IN_FILE, .path = path });
}

int input_split_argv(char **argv, struct input_cfg *c, const char **bad)
{
	size_t i = 0, j;
	int err;

	while (argv[i] && strcmp(argv[i], ":::") && strcmp(argv[i], "::::"))
		i++;
	while (argv[i]) {
		int files = !strcmp(argv[i], "::::");
		argv[i++] = NULL;
		for (j = i; argv[j] && strcmp(argv[j], ":::") && strcmp(argv[j], "::::"); j++)
			;
		if (j == i) {
			*bad = files ? "::::" : ":::";
			return -EINVAL;
		}
		if (files) {
			for (; i < j; i++)
				if ((err = input_add_file(c, argv[i])))
					return err;
		} else {
			err = add_src(c, (struct input_src){ .kind = IN_ARGS,
				      .args = argv + i, .nargs = j - i });
			if (err)
				return err;
			i = j;
		}
	}
	return 0;
}

void input_free(struct input_cfg *c)
{
	free(c->src);
	c->src = NULL;
	c->nsrc = 0;
}

static int push_col(struct recs *r, const char *p, size_t len)
{
	if (r->ncol == r->capcol) {
		size_t cap = r->capcol ? r->capcol * 2 : 64;
		struct span *n = realloc(r->col, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->col = n;
		r->capcol = cap;
	}
	r->col[r->ncol++] = (struct span){ p, len };
	return 0;
}

/* Record p/len, split at every match of colsep (if any). */
static int push_rec(struct recs *r, const regex_t *re, const char *p, size_t len)
{
	size_t off = 0;
	int err;

	if (r->n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		size_t *n = realloc(r->first, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->first = n;
		r->cap = cap;
	}
	r->first[r->n++] = r->ncol;
	while (re) {
		regmatch_t m = { .rm_so = (regoff_t)off, .rm_eo = (regoff_t)len };

		if (off > len || regexec(re, p, 1, &m, REG_STARTEND) ||
		    m.rm_eo == m.rm_so)
			break;
		if ((err = push_col(r, p + off, (size_t)m.rm_so - off)))
			return err;
		off = (size_t)m.rm_eo;
	}
	err = push_col(r, p + off, len - off);
	r->first[r->n] = r->ncol;
	return err;
}

static int load_file(struct recs *r, const regex_t *re, const char *path,
		     int null_sep, char *err, size_t errlen)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	size_t len = 0, i = 0, line = 0;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0, e;

	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "task file %s: %s", path, strerror(-e));
		return e;
	}
	e = tasks_slurp(fd, &r->buf, &len);
	if (fd > 0)
		close(fd);
	if (e) {
		snprintf(err, errlen, "reading %s: %s", name,
			 e == -E2BIG ? "too large" : strerror(-e));
		return e;
	}
	while (i < len) {
		char sep = null_sep ? '\0' : '\n';
		char *s = r->buf + i, *nl = memchr(s, sep, len - i);
		size_t l = nl ? (size_t)(nl - s) : len - i;

		line++;
		i += l + 1;
		if (!null_sep && memchr(s, 0, l)) {
			snprintf(err, errlen, "%s, line %zu: contains a NUL byte "
				 "(-0 reads NUL-separated tasks)", name, line);
			return -EINVAL;
		}
		if (!null_sep && l && s[l - 1] == '\r')
			l--;
		s[l] = 0;
		if (!l)
			continue;
		if (l > TASK_MAX_LEN || r->n >= TASK_MAX_COUNT) {
			snprintf(err, errlen, "%s, %s %zu: longer than %u bytes or more "
				 "than %u tasks", name, null_sep ? "record" : "line",
				 line, TASK_MAX_LEN, TASK_MAX_COUNT);
			return -E2BIG;
		}
		if ((e = push_rec(r, re, s, l)))
			return e;
	}
	return 0;
}

static void recs_free(struct recs *r)
{
	free(r->buf);
	free(r->col);
	free(r->first);
}

/* Columns of combination k (mixed radix, the last source fastest). */
static size_t combo_size(struct recs *rs, size_t nsrc, size_t k, size_t *ncols)
{
	size_t bytes = 0, s, i;

	*ncols = 0;
	for (s = nsrc; s-- > 0;) {
		size_t rec = k % rs[s].n;

		k /= rs[s].n;
		for (i = rs[s].first[rec]; i < rs[s].first[rec + 1]; i++) {
			bytes += rs[s].col[i].len + 1;
			(*ncols)++;
		}
	}
	return bytes;
}

static void combo_fill(struct recs *rs, size_t nsrc, size_t k, char *cols,
		       char *text)
{
	size_t rec[64], s, i;
	int first = 1;

	for (s = nsrc; s-- > 0;) {
		rec[s] = k % rs[s].n;
		k /= rs[s].n;
	}
	for (s = 0; s < nsrc; s++)
		for (i = rs[s].first[rec[s]]; i < rs[s].first[rec[s] + 1]; i++) {
			const struct span *c = &rs[s].col[i];

			memcpy(cols, c->p, c->len);
			cols[c->len] = 0;
			cols += c->len + 1;
			if (!first)
				*text++ = ' ';
			memcpy(text, c->p, c->len);
			text += c->len;
			first = 0;
		}
	*text = 0;
}

static int build(struct recs *rs, size_t nsrc, struct task_list *tl, char *err,
		 size_t errlen)
{
	size_t total = 1, k, bytes = 0, ncols, off = 0;

	for (k = 0; k < nsrc; k++) {
		if (!rs[k].n)
			return 0;   /* an empty source: no combination */
		if (total > TASK_MAX_COUNT / rs[k].n) {
			snprintf(err, errlen, "more than %u tasks", TASK_MAX_COUNT);
			return -E2BIG;
		}
		total *= rs[k].n;
	}
	for (k = 0; k < total; k++)
		bytes += combo_size(rs, nsrc, k, &ncols);
	tl->v = calloc(total, sizeof(*tl->v));
	tl->buf = malloc(bytes + 1);
	tl->buf2 = malloc(bytes + 1);
	if (!tl->v || !tl->buf || !tl->buf2)
		return -ENOMEM;
	for (k = 0; k < total; k++) {
		struct task *t = &tl->v[k];
		size_t b = combo_size(rs, nsrc, k, &ncols);

		combo_fill(rs, nsrc, k, tl->buf2 + off, tl->buf + off);
		t->id = (uint32_t)k;
		t->owner = -1;
		t->text = tl->buf + off;
		t->len = (uint32_t)strlen(t->text);
		t->cols = tl->buf2 + off;
		t->ncols = (uint32_t)ncols;
		if (t->len > TASK_MAX_LEN) {
			snprintf(err, errlen, "task %zu is longer than %u bytes", k + 1,
				 TASK_MAX_LEN);
			return -E2BIG;
		}
		off += b;
	}
	tl->n = total;
	return 0;
}

int input_load(const struct input_cfg *c, struct task_list *tl, char *err,
	       size_t errlen)
{
	struct recs *rs = calloc(c->nsrc ? c->nsrc : 1, sizeof(*rs));
	regex_t re;
	int have_re = 0, e = 0;
	size_t s, i, stdin_uses = 0;

	memset(tl, 0, sizeof(*tl));
	if (!rs)
		return -ENOMEM;
	if (c->nsrc > 64) {
		snprintf(err, errlen, "more than 64 input sources");
		e = -E2BIG;
		goto out;
	}
	if (c->colsep) {
		e = regcomp(&re, c->colsep, REG_EXTENDED);
		if (e) {
			char why[128];

			regerror(e, &re, why, sizeof(why));
			snprintf(err, errlen, "--colsep '%s': %s", c->colsep, why);
			e = -EINVAL;
			goto out;
		}
		have_re = 1;
	}
	for (s = 0; s < c->nsrc && !e; s++) {
		const struct input_src *src = &c->src[s];

		if (src->kind == IN_FILE) {
			if (!strcmp(src->path, "-") && stdin_uses++) {
				snprintf(err, errlen, "stdin ('-') given as more than one source");
				e = -EINVAL;
				break;
			}
			e = load_file(&rs[s], have_re ? &re : NULL, src->path,
				      c->null_sep, err, errlen);
			continue;
		}
		for (i = 0; i < src->nargs && !e; i++)
			e = push_rec(&rs[s], have_re ? &re : NULL, src->args[i],
				     strlen(src->args[i]));
	}
	if (!e)
		e = build(rs, c->nsrc, tl, err, errlen);
	if (e == -ENOMEM && !*err)
		snprintf(err, errlen, "out of memory reading the tasks");
out:
	for (s = 0; s < c->nsrc; s++)
		recs_free(&rs[s]);
	free(rs);
	if (have_re)
		regfree(&re);
	if (e)
		tasks_free(tl);
	return e;
}
