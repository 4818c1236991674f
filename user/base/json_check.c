/* json_check: is this one complete JSON value (RFC 8259)? For text that
 * came from another process and is copied into our own output verbatim
 * (jsonw_raw): a peer's mistake must not make our report unparseable. */
#include <string.h>

#include "json.h"

struct jc {
	const unsigned char *p, *end;
	unsigned depth, max_depth;
};

static void ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' ||
				 *c->p == '\r'))
		c->p++;
}

static int lit(struct jc *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return -1;
	c->p += n;
	return 0;
}

static int is_hex(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* Control bytes must be escaped; other bytes pass (UTF-8 is the
 * writer's business, and ours escapes what it is given). */
static int string(struct jc *c)
{
	int i;

	c->p++;   /* the opening quote */
	while (c->p < c->end) {
		unsigned char ch = *c->p++;

		if (ch == '"')
			return 0;
		if (ch < 0x20)
			return -1;
		if (ch != '\\')
			continue;
		if (c->p >= c->end)
			return -1;
		ch = *c->p++;
		if (ch == 'u') {
			for (i = 0; i < 4; i++)
				if (c->p >= c->end || !is_hex(*c->p++))
					return -1;
		} else if (!strchr("\"\\/bfnrt", ch) || !ch) {
			return -1;
		}
	}
	return -1;
}

static int digits(struct jc *c)
{
	const unsigned char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s ? 0 : -1;
}

static int number(struct jc *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (digits(c))
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (digits(c))
			return -1;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (digits(c))
			return -1;
	}
	return 0;
}

static int value(struct jc *c);

/* Object or array: items separated by commas, object items "name":value. */
static int container(struct jc *c, unsigned char close, int object)
{
	if (++c->depth > c->max_depth)
		return -1;
	c->p++;
	ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return 0;
	}
	for (;;) {
		if (object) {
			if (c->p >= c->end || *c->p != '"' || string(c))
				return -1;
			ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -1;
		}
		if (value(c))
			return -1;
		ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == close) {
			c->p++;
			c->depth--;
			return 0;
		}
		if (*c->p++ != ',')
			return -1;
	}
}

static int value(struct jc *c)
{
	ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '{': return container(c, '}', 1);
	case '[': return container(c, ']', 0);
	case '"': return string(c);
	case 't': return lit(c, "true");
	case 'f': return lit(c, "false");
	case 'n': return lit(c, "null");
	default:
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return number(c);
		return -1;
	}
}

int json_check(const char *text, size_t len, unsigned max_depth)
{
	struct jc c;

	if (!text)
		return -1;
	c = (struct jc){ (const unsigned char *)text, (const unsigned char *)text + len,
			 0, max_depth };
	if (value(&c))
		return -1;
	ws(&c);
	return c.p == c.end ? 0 : -1;
}
