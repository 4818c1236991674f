/* Replacement strings ({} {.} {/} {//} {/.} {#} {%} {N}) for plain commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replace.h"
#include "tasks.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > (size_t)TASK_MAX_LEN * 64) {
			b->err = -E2BIG;
			return;
		}
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* GNU parallel's quoting: 'text', with each ' written as '"'"'. */
static void sb_quote(struct sbuf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	sb_add(b, "'", 1);
	for (i = 0; i < n; i++) {
		if (s[i] != '\'')
			continue;
		sb_add(b, s + start, i - start);
		sb_add(b, "'\"'\"'", 5);
		start = i + 1;
	}
	sb_add(b, s + start, n - start);
	sb_add(b, "'", 1);
}

enum mod { M_NONE, M_EXT, M_BASE, M_DIR, M_BASEEXT, M_SEQ, M_SLOT };

struct token {
	size_t len;         /* bytes of the token in the argument */
	unsigned col;       /* 0: every column */
	enum mod mod;
};

/* Parse a replacement string at s ('{'); 0 when it is not one. */
static int token_at(const char *s, struct token *t)
{
	static const struct { const char *txt; enum mod mod; } mods[] = {
		{ "}", M_NONE }, { ".}", M_EXT }, { "/}", M_BASE },
		{ "//}", M_DIR }, { "/.}", M_BASEEXT },
	};
	const char *p = s + 1;
	size_t i;

	memset(t, 0, sizeof(*t));
	if (!strncmp(p, "#}", 2) || !strncmp(p, "%}", 2)) {
		t->mod = *p == '#' ? M_SEQ : M_SLOT;
		t->len = 3;
		return 1;
	}
	if (*p >= '1' && *p <= '9') {
		unsigned long v = 0;

		while (*p >= '0' && *p <= '9' && v < 100000)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (v >= 100000)
			return 0;
		t->col = (unsigned)v;
	}
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		size_t l = strlen(mods[i].txt);

		if (!strncmp(p, mods[i].txt, l)) {
			t->mod = mods[i].mod;
			t->len = (size_t)(p - s) + l;
			return 1;
		}
	}
	return 0;
}

int replace_has(char *const *argv)
{
	struct token t;

	for (; argv && *argv; argv++)
		for (const char *s = strchr(*argv, '{'); s; s = strchr(s + 1, '{'))
			if (token_at(s, &t))
				return 1;
	return 0;
}

static int is_shell(const char *path)
{
	static const char *const shells[] = { "sh", "bash", "dash", "zsh", "ksh",
		"mksh", "ash", "posh", "yash", "busybox" };
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (!strcmp(base, shells[i]))
			return 1;
	return 0;
}

int replace_shell_script(char *const *argv)
{
	int i = 1, seen_c = 0;

	if (!argv[0] || !is_shell(argv[0]))
		return -1;
	/* busybox sh -c ...: the applet name comes first. */
	if (!strcmp(strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0],
		    "busybox")) {
		if (!argv[1] || strcmp(argv[1], "sh"))
			return -1;
		i = 2;
	}
	for (; argv[i]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--") || !strcmp(a, "-"))
			return seen_c && argv[i + 1] ? i + 1 : -1;
		if (!strcmp(a, "-o") || !strcmp(a, "+o") || !strcmp(a, "-O") ||
		    !strcmp(a, "+O") || !strcmp(a, "--rcfile") ||
		    !strcmp(a, "--init-file")) {
			if (argv[i + 1])
				i++;
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
			continue;
		if ((a[0] == '-' || a[0] == '+') && a[1]) {
			if (a[0] == '-' && strchr(a, 'c'))
				seen_c = 1;
			continue;
		}
		return seen_c ? i : -1;
	}
	return -1;
}

/* Start of the extension GNU parallel's {.} removes: the last '.' after the
 * last '/'; n when there is none. */
static size_t ext_at(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && s[i - 1] != '/') {
		if (s[i - 1] == '.')
			return i - 1;
		i--;
	}
	return n;
}

static size_t base_at(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && s[i - 1] != '/')
		i--;
	return i;
}

/* POSIX dirname(3), without touching the input. */
static void sb_dirname(struct sbuf *b, const char *s, size_t n)
{
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (n == 1 && s[0] == '/') {
		sb_add(b, "/", 1);
		return;
	}
	while (n > 0 && s[n - 1] != '/')
		n--;
	if (n == 0) {
		sb_add(b, ".", 1);
		return;
	}
	while (n > 1 && s[n - 1] == '/')
		n--;
	sb_add(b, s, n);
}

static void value(struct sbuf *v, const struct token *t, const struct replace_in *in)
{
	char num[24];
	const char *s;
	size_t n, i;

	if (t->mod == M_SEQ || t->mod == M_SLOT) {
		snprintf(num, sizeof(num), "%llu", t->mod == M_SEQ
			 ? (unsigned long long)in->seq : (unsigned long long)in->slot);
		sb_str(v, num);
		return;
	}
	if (t->col == 0) {
		for (i = 0; i < in->ncols; i++) {
			if (i)
				sb_add(v, " ", 1);
			sb_str(v, in->cols[i]);
		}
	} else if (t->col <= in->ncols) {
		sb_str(v, in->cols[t->col - 1]);
	}
	if (v->err || t->mod == M_NONE || !v->p)
		return;
	s = v->p;
	n = v->len;
	switch (t->mod) {
	case M_EXT:
		v->len = ext_at(s, n);
		break;
	case M_BASE:
	case M_BASEEXT: {
		size_t b = base_at(s, n), e = t->mod == M_BASEEXT ? ext_at(s, n) : n;

		memmove(v->p, s + b, e - b);
		v->len = e - b;
		break;
	}
	case M_DIR: {
		struct sbuf d = { 0 };

		sb_dirname(&d, s, n);
		if (d.err) {
			v->err = d.err;
			return;
		}
		v->len = 0;
		sb_add(v, d.p, d.len);
		free(d.p);
		break;
	}
	default:
		break;
	}
	v->p[v->len] = 0;
}

/* One argument with its replacement strings filled in. */
static void fill_arg(struct sbuf *b, const char *a, const struct replace_in *in,
		     int quote)
{
	struct sbuf v = { 0 };
	struct token t;
	const char *s;

	while ((s = strchr(a, '{'))) {
		if (!token_at(s, &t)) {
			sb_add(b, a, (size_t)(s - a) + 1);
			a = s + 1;
			continue;
		}
		sb_add(b, a, (size_t)(s - a));
		v.len = 0;
		if (v.p)
			v.p[0] = 0;
		value(&v, &t, in);
		if (v.err)
			b->err = v.err;
		else if (quote)
			sb_quote(b, v.p ? v.p : "", v.len);
		else
			sb_add(b, v.p ? v.p : "", v.len);
		a = s + t.len;
	}
	sb_str(b, a);
	sb_add(b, "", 1);   /* keep the NUL: args are packed back to back */
	free(v.p);
}

int replace_argv(char *const *argv, const struct replace_in *in, int append,
		 char ***out)
{
	struct sbuf b = { 0 };
	size_t argc = 0, extra = 0, i, off;
	int script = replace_shell_script(argv), err;
	char **v;

	for (argc = 0; argv[argc]; argc++)
		;
	if (append && !replace_has(argv))
		extra = in->ncols;
	for (i = 0; i < argc; i++)
		fill_arg(&b, argv[i], in, (int)i == script);
	for (i = 0; i < extra; i++)
		sb_add(&b, in->cols[i], strlen(in->cols[i]) + 1);
	if ((err = b.err)) {
		free(b.p);
		return err;
	}
	v = malloc((argc + extra + 1) * sizeof(char *) + b.len);
	if (!v) {
		free(b.p);
		return -ENOMEM;
	}
	memcpy(v + argc + extra + 1, b.p, b.len);
	for (i = 0, off = 0; i < argc + extra; i++) {
		v[i] = (char *)(v + argc + extra + 1) + off;
		off += strlen(v[i]) + 1;
	}
	v[argc + extra] = NULL;
	free(b.p);
	*out = v;
	return 0;
}

static int needs_quote(const char *s)
{
	if (!*s)
		return 1;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_./:=@%+,-", *s))
			return 1;
	return 0;
}

char *replace_cmdline(char *const *argv)
{
	struct sbuf b = { 0 };
	size_t i;

	for (i = 0; argv[i]; i++) {
		if (i)
			sb_add(&b, " ", 1);
		if (needs_quote(argv[i]))
			sb_quote(&b, argv[i], strlen(argv[i]));
		else
			sb_str(&b, argv[i]);
	}
	if (!b.p && !b.err)
		sb_add(&b, "", 0);
	if (b.err) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
