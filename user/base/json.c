/* The JSON writer (json.h): structure, escaping, numbers, two sinks. */
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "json.h"

/* --- sinks: a FILE*, or a bounded buffer that keeps a prefix ------------- */

static void fail(struct jsonw *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void out(struct jsonw *w, const char *s, size_t n)
{
	size_t room;

	if (!n)
		return;
	w->need += n;
	if (w->f) {
		if (fwrite(s, 1, n, w->f) != n)
			fail(w, -EIO);
		w->len += n;
		return;
	}
	if (w->full)
		return;
	room = w->cap ? w->cap - 1 - w->len : 0;
	if (n > room) {
		/* Keep what fits, then nothing: a later small piece that would
		 * fit must not be glued to a cut one. */
		n = room;
		w->full = true;
		fail(w, -ENOSPC);
	}
	if (!n)
		return;   /* a dry run (buf NULL) keeps nothing */
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void out_c(struct jsonw *w, char c)
{
	out(w, &c, 1);
}

static void out_vprintf(struct jsonw *w, const char *fmt, va_list ap)
{
	size_t room = w->cap && !w->full ? w->cap - 1 - w->len : 0;
	int n;

	if (w->f) {
		n = vfprintf(w->f, fmt, ap);
		if (n < 0) {
			fail(w, -EIO);
			return;
		}
	} else {
		/* vsnprintf never writes past room + 1 and says what it needed */
		n = w->cap && !w->full ? vsnprintf(w->buf + w->len, room + 1, fmt, ap)
				      : vsnprintf(NULL, 0, fmt, ap);
		if (n < 0) {
			fail(w, -EINVAL);
			return;
		}
		if ((size_t)n > room) {
			w->len += room;
			w->need += (size_t)n;
			w->full = true;
			fail(w, -ENOSPC);
			return;
		}
	}
	w->len += (size_t)n;
	w->need += (size_t)n;
}

static void out_printf(struct jsonw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void out_printf(struct jsonw *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vprintf(w, fmt, ap);
	va_end(ap);
}

void jsonw_init_file(struct jsonw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
}

void jsonw_init_buf(struct jsonw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = buf ? cap : 0;
	if (w->cap)
		buf[0] = '\0';
}

void jsonw_pretty(struct jsonw *w, bool on)
{
	w->pretty = on;
}

int jsonw_error(const struct jsonw *w)
{
	if (w->err)
		return w->err;
	return w->f && ferror(w->f) ? -EIO : 0;
}

int jsonw_finish(struct jsonw *w)
{
	if (w->depth || w->named)
		fail(w, -EINVAL);
	return jsonw_error(w);
}

size_t jsonw_len(const struct jsonw *w)
{
	return w->len;
}

size_t jsonw_need(const struct jsonw *w)
{
	return w->need;
}

/* --- structure: separators by the state of the open container ---------- */

static bool in_array(const struct jsonw *w)
{
	return (w->array >> (w->depth - 1)) & 1;
}

static void indent(struct jsonw *w)
{
	unsigned i;

	out_c(w, '\n');
	for (i = 0; i < w->depth; i++)
		out(w, "    ", 4);
}

/* The comma before an item of the open container (and, pretty, its line). */
static void item(struct jsonw *w)
{
	uint32_t bit = 1u << (w->depth - 1);

	if (w->items & bit)
		out_c(w, ',');
	w->items |= bit;
	if (w->pretty)
		indent(w);
}

/* May a value go here? Writes its separator. Inside an object the name
 * wrote it; anywhere else (an array, the top level) this does. */
static bool value_begin(struct jsonw *w)
{
	if (w->depth && !in_array(w)) {
		if (!w->named) {
			fail(w, -EINVAL);
			return false;
		}
		w->named = false;
		return true;
	}
	if (w->depth)
		item(w);
	return true;
}

static void start(struct jsonw *w, char c, bool array)
{
	if (w->depth >= JSONW_MAX_DEPTH) {
		fail(w, -EINVAL);
		return;
	}
	if (!value_begin(w))
		return;
	out_c(w, c);
	w->depth++;
	if (array)
		w->array |= 1u << (w->depth - 1);
	else
		w->array &= ~(1u << (w->depth - 1));
	w->items &= ~(1u << (w->depth - 1));
}

static void end(struct jsonw *w, char c, bool array)
{
	bool had;

	if (!w->depth || in_array(w) != array || w->named) {
		fail(w, -EINVAL);
		return;
	}
	had = (w->items >> (w->depth - 1)) & 1;
	w->depth--;
	if (w->pretty && had)
		indent(w);
	out_c(w, c);
}

void jsonw_start_object(struct jsonw *w)
{
	start(w, '{', false);
}

void jsonw_end_object(struct jsonw *w)
{
	end(w, '}', false);
}

void jsonw_start_array(struct jsonw *w)
{
	start(w, '[', true);
}

void jsonw_end_array(struct jsonw *w)
{
	end(w, ']', true);
}

void jsonw_newline(struct jsonw *w)
{
	if (w->depth || w->named) {
		fail(w, -EINVAL);
		return;
	}
	out_c(w, '\n');
}

/* --- strings ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p, or 0 if it is not valid. */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int utf8_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, n;

	while (i < len) {
		if (!(n = utf8_seq(p + i, len - i)))
			return 0;
		i += n;
	}
	return 1;
}

/* The escape of byte c (one that cannot go out as it is) into e[8]. */
static size_t escape(unsigned char c, bool bytes, char *e)
{
	if (c == '"' || c == '\\') {
		e[0] = '\\';
		e[1] = (char)c;
		return 2;
	}
	if (!bytes && (c == '\n' || c == '\r' || c == '\t')) {
		e[0] = '\\';
		e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return 2;
	}
	if (!bytes && c >= 0x80) {
		memcpy(e, "\\ufffd", 6);   /* not part of valid UTF-8 */
		return 6;
	}
	snprintf(e, 8, "\\u%04x", c);
	return 6;
}

/* Runs of bytes that need no escape go out in one piece. */
static void put_string(struct jsonw *w, const char *s, size_t len, bool bytes)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0, n, elen;
	char e[8];

	out_c(w, '"');
	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (!bytes && c >= 0x80 && (n = utf8_seq(p + i, len - i))) {
			i += n;
			continue;
		}
		out(w, s + run, i - run);
		elen = escape(c, bytes, e);
		out(w, e, elen);
		run = ++i;
	}
	out(w, s + run, i - run);
	out_c(w, '"');
}

void jsonw_name(struct jsonw *w, const char *name)
{
	if (!w->depth || in_array(w) || w->named) {
		fail(w, -EINVAL);
		return;
	}
	item(w);
	put_string(w, name, strlen(name), false);
	out(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->named = true;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
	if (value_begin(w))
		put_string(w, s, len, false);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	if (!s)
		jsonw_null(w);
	else
		jsonw_string_len(w, s, strlen(s));
}

void jsonw_string_bytes(struct jsonw *w, const char *s, size_t max)
{
	if (value_begin(w))
		put_string(w, s, strnlen(s, max), true);
}

void jsonw_base64(struct jsonw *w, const void *buf, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = buf;
	char q[4];
	size_t i;

	if (!value_begin(w))
		return;
	out_c(w, '"');
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		out(w, q, 4);
	}
	if (len - i) {
		uint32_t v = (uint32_t)p[i] << 16 | (len - i == 2 ? (uint32_t)p[i + 1] << 8 : 0);

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = len - i == 2 ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		out(w, q, 4);
	}
	out_c(w, '"');
}

/* --- numbers and the rest ------------------------------------------------ */

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	if (value_begin(w))
		out_printf(w, "%llu", (unsigned long long)v);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	if (value_begin(w))
		out_printf(w, "%lld", (long long)v);
}

void jsonw_float(struct jsonw *w, const char *fmt, double v)
{
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	if (value_begin(w))
		out_printf(w, fmt, v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	if (value_begin(w))
		out(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
	if (value_begin(w))
		out(w, "null", 4);
}

void jsonw_printf(struct jsonw *w, const char *fmt, ...)
{
	va_list ap;

	if (!value_begin(w))
		return;
	va_start(ap, fmt);
	out_vprintf(w, fmt, ap);
	va_end(ap);
}

void jsonw_raw(struct jsonw *w, const char *json, size_t len)
{
	if (value_begin(w))
		out(w, json, len);
}

void jsonw_string_field(struct jsonw *w, const char *name, const char *s)
{
	jsonw_name(w, name);
	jsonw_string(w, s);
}

void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_int_field(struct jsonw *w, const char *name, int64_t v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_float_field(struct jsonw *w, const char *name, const char *fmt, double v)
{
	jsonw_name(w, name);
	jsonw_float(w, fmt, v);
}

void jsonw_bool_field(struct jsonw *w, const char *name, bool v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}

void jsonw_null_field(struct jsonw *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_null(w);
}

int jsonw_render(void (*fn)(struct jsonw *w, void *arg), void *arg, char **out,
		 size_t *len)
{
	struct jsonw w;
	size_t need;
	int err;

	*out = NULL;
	jsonw_init_buf(&w, NULL, 0);
	fn(&w, arg);
	need = jsonw_need(&w);
	*out = malloc(need + 1);
	if (!*out)
		return -ENOMEM;
	jsonw_init_buf(&w, *out, need + 1);
	fn(&w, arg);
	err = jsonw_finish(&w);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	*len = jsonw_len(&w);
	return 0;
}
