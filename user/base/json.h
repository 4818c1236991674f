/*
 * The one JSON writer of every --json output, after bpftool's json_writer:
 * start and end objects and arrays, a name before each member's value,
 * values; commas (and, when pretty, newlines and indents) are the writer's.
 *
 *	struct jsonw w;
 *
 *	jsonw_init_file(&w, stdout);
 *	jsonw_start_object(&w);
 *	jsonw_uint_field(&w, "schema_version", 1);
 *	jsonw_name(&w, "agents");
 *	jsonw_start_array(&w);
 *	jsonw_string(&w, "w1");
 *	jsonw_end_array(&w);
 *	jsonw_end_object(&w);
 *	jsonw_newline(&w);                 // one JSON line
 *	err = jsonw_finish(&w);            // {"schema_version":1,"agents":["w1"]}
 *
 * Output goes to a FILE* or into a caller's buffer of fixed size. The
 * writer is a plain struct and never allocates, so it cannot fail half-way
 * for want of memory. What goes wrong is remembered (the first error wins)
 * and returned by jsonw_finish and jsonw_error:
 *   -ENOSPC  the buffer was too small. It holds a NUL-terminated prefix
 *            that is NOT valid JSON; jsonw_need() is the size it needed
 *            (plus one for the NUL), as with snprintf.
 *   -EIO     writing to the FILE* failed.
 *   -EINVAL  misuse: a value in an object without a name, a name outside
 *            an object or twice, an end that does not match its start,
 *            nesting deeper than JSONW_MAX_DEPTH, jsonw_newline inside a
 *            container, or (at jsonw_finish) a container left open. The
 *            offending call writes nothing.
 *
 * Strings (RFC 8259, section 7): '"' and '\' are escaped, \n \r \t as
 * such, every other byte below 0x20 and DEL as \u00XX. Valid UTF-8 is
 * copied as it is (U+2028 and U+2029 too: valid JSON, only a JavaScript
 * eval minds). Each byte that is not part of valid UTF-8 (a stray
 * continuation byte, an overlong form, an encoded surrogate, a sequence cut
 * short) becomes U+FFFD, so the output is valid UTF-8 and valid JSON
 * whatever the input. That is lossy; where bytes must round-trip, use
 * jsonw_base64. jsonw_string_bytes is the other policy, for names the
 * kernel hands over as bytes (comm, d_path), which need not be UTF-8:
 * every byte below 0x20 or from 0x7f up as \u00XX, lossless but read as
 * Latin-1.
 *
 * Numbers: integers exact; jsonw_float with the printf format of one
 * double ("%.3f"). NaN and the infinities are not JSON: written as null.
 */
#ifndef SWARM_JSON_H
#define SWARM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 32

/* The fields are the writer's: use the functions. */
struct jsonw {
	FILE *f;                /* NULL: into buf */
	char *buf;
	size_t cap, len;        /* buf[len] is always '\0' (when cap > 0) */
	size_t need;            /* bytes the output took, kept or not */
	int err;
	bool full;              /* buf truncated: nothing more is kept */
	bool pretty;
	bool named;             /* a name is written, its value is due */
	unsigned depth;
	uint32_t array;         /* bit d: the container at depth d+1 is an array */
	uint32_t items;         /* bit d: it holds an item already */
};

void jsonw_init_file(struct jsonw *w, FILE *f);
/* buf may be NULL when cap is 0 (a dry run that measures jsonw_need). */
void jsonw_init_buf(struct jsonw *w, char *buf, size_t cap);
/* Pretty: a newline and four spaces per level before every item, a space
 * after each name's colon. Off (compact) by default. */
void jsonw_pretty(struct jsonw *w, bool on);
/* 0 or the first error; -EINVAL if a container is still open. */
int jsonw_finish(struct jsonw *w);
int jsonw_error(const struct jsonw *w);
size_t jsonw_len(const struct jsonw *w);    /* bytes kept (in buf, or written) */
size_t jsonw_need(const struct jsonw *w);   /* bytes the output took */

void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
/* The name of the next member of the open object. */
void jsonw_name(struct jsonw *w, const char *name);
/* Between top-level values only: one value per line (JSON lines). */
void jsonw_newline(struct jsonw *w);

/* A NUL-terminated string; NULL is written as null. */
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_len(struct jsonw *w, const char *s, size_t len);
/* Bytes up to the first NUL or max, each non-ASCII one as \u00XX. */
void jsonw_string_bytes(struct jsonw *w, const char *s, size_t max);
/* A quoted base64 string (RFC 4648, padded) of arbitrary bytes. */
void jsonw_base64(struct jsonw *w, const void *buf, size_t len);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_int(struct jsonw *w, int64_t v);
/* fmt formats one double, e.g. "%.3f"; NaN and +-inf are written as null. */
void jsonw_float(struct jsonw *w, const char *fmt, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* A number formatted by the caller, for what the others cannot say (an
 * exact fixed-point "%" PRIu64 ".%03u"). Numbers only: nothing is checked
 * or escaped. */
void jsonw_printf(struct jsonw *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A value another writer rendered earlier (a section buffered so that a
 * failure can be replaced whole), copied as it is. */
void jsonw_raw(struct jsonw *w, const char *json, size_t len);

/* Name and value in one call. */
void jsonw_string_field(struct jsonw *w, const char *name, const char *s);
void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v);
void jsonw_int_field(struct jsonw *w, const char *name, int64_t v);
void jsonw_float_field(struct jsonw *w, const char *name, const char *fmt, double v);
void jsonw_bool_field(struct jsonw *w, const char *name, bool v);
void jsonw_null_field(struct jsonw *w, const char *name);

/* 1 if buf is valid UTF-8 (no overlongs, no surrogates, nothing past
 * U+10FFFF): whether a payload can go out as a string or needs base64. */
int utf8_valid(const char *buf, size_t len);

/* What fn writes, in a malloc'd NUL-terminated buffer of the size a dry
 * run measured: 0 with *out and *len, -ENOMEM, or the writer's error. */
int jsonw_render(void (*fn)(struct jsonw *w, void *arg), void *arg, char **out,
		 size_t *len);

/* json_check.c: 0 if text[0..len) is exactly one JSON value (with
 * optional white space around it) nested at most max_depth deep, else -1.
 * For another process's JSON before jsonw_raw copies it into ours. */
int json_check(const char *text, size_t len, unsigned max_depth);

#endif
