/* libFuzzer: the JSON writer's strings (user/base/json.h) against
 * independent reference code: utf8_valid is compared with a range-table
 * decoder (RFC 3629); a string written by jsonw_string_len is parsed back
 * and must be valid JSON text that decodes to the input whenever the input
 * was valid UTF-8; jsonw_string_bytes must decode to the input's bytes as
 * code points (up to its first NUL); base64 must decode to the input; and
 * a bounded buffer of any size holds a NUL-terminated prefix of the whole,
 * with -ENOSPC exactly when the whole did not fit. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* RFC 3629 section 4 syntax, written as byte ranges. */
static size_t ref_seq(const unsigned char *p, size_t n)
{
	unsigned char a = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (a <= 0x7f)
		return 1;
	if (a >= 0xc2 && a <= 0xdf)
		k = 2;
	else if (a >= 0xe0 && a <= 0xef)
		k = 3;
	else if (a >= 0xf0 && a <= 0xf4)
		k = 4;
	else
		return 0;
	if (a == 0xe0)
		lo = 0xa0;
	else if (a == 0xed)
		hi = 0x9f;
	else if (a == 0xf0)
		lo = 0x90;
	else if (a == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return k;
}

static int ref_valid(const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (!(k = ref_seq(p + i, n - i)))
			return 0;
		i += k;
	}
	return 1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (unsigned char)(0xe0 | cp >> 12);
	o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Parse one JSON string literal that must fill s[0..n) exactly. */
static unsigned char *json_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char *o = malloc(n + 1);
	size_t i = 1, k = 0;

	if (!o || n < 2 || s[0] != '"' || s[n - 1] != '"')
		abort();
	while (i < n - 1) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"')
			abort(); /* raw control or unescaped quote: not JSON */
		if (c != '\\') {
			o[k++] = c;
			i++;
			continue;
		}
		if (i + 1 >= n - 1)
			abort();
		switch (s[i + 1]) {
		case '"': o[k++] = '"'; i += 2; break;
		case '\\': o[k++] = '\\'; i += 2; break;
		case 'n': o[k++] = '\n'; i += 2; break;
		case 'r': o[k++] = '\r'; i += 2; break;
		case 't': o[k++] = '\t'; i += 2; break;
		case 'u': {
			uint32_t cp = 0;
			int j;

			if (i + 6 > n - 1)
				abort();
			for (j = 2; j < 6; j++) {
				int h = hexval(s[i + j]);
				if (h < 0)
					abort();
				cp = cp << 4 | (uint32_t)h;
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				abort(); /* a lone surrogate escape */
			k += put_utf8(o + k, cp);
			i += 6;
			break;
		}
		default:
			abort();
		}
	}
	*outlen = k;
	return o;
}

static unsigned char *b64_decode(const char *s, size_t n, size_t *outlen)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char *o = malloc(n);
	size_t i, k = 0;

	if (!o || n < 2 || s[0] != '"' || s[n - 1] != '"' || (n - 2) % 4)
		abort();
	for (i = 1; i + 4 <= n - 1; i += 4) {
		uint32_t v = 0;
		int j, pad = 0;

		for (j = 0; j < 4; j++) {
			const char *q = s[i + j] == '=' ? NULL : strchr(tab, s[i + j]);
			if (s[i + j] == '=')
				pad++;
			else if (!q || !s[i + j] || pad)
				abort();
			v = v << 6 | (uint32_t)(q ? q - tab : 0);
		}
		if (pad > 2 || (pad && i + 4 != n - 1))
			abort();
		o[k++] = (unsigned char)(v >> 16);
		if (pad < 2)
			o[k++] = (unsigned char)(v >> 8);
		if (pad < 1)
			o[k++] = (unsigned char)v;
	}
	*outlen = k;
	return o;
}

/* One value of the given kind into a memory stream; *olen its length. */
static char *render(int kind, const uint8_t *data, size_t size, size_t *olen)
{
	char *out = NULL;
	struct jsonw w;
	FILE *f = open_memstream(&out, olen);

	if (!f)
		abort();
	jsonw_init_file(&w, f);
	if (kind == 0)
		jsonw_string_len(&w, (const char *)data, size);
	else if (kind == 1)
		jsonw_string_bytes(&w, (const char *)data, size);
	else
		jsonw_base64(&w, data, size);
	if (jsonw_finish(&w))
		abort();
	fclose(f);
	return out;
}

/* The same value into buffers of every size up to the whole. */
static void check_bounded(int kind, const uint8_t *data, size_t size,
			  const char *whole, size_t wlen)
{
	char *buf = malloc(wlen + 2);
	size_t cap;
	struct jsonw w;

	if (!buf)
		abort();
	for (cap = 1; cap <= wlen + 1; cap += 1 + cap / 8) {
		jsonw_init_buf(&w, buf, cap);
		if (kind == 0)
			jsonw_string_len(&w, (const char *)data, size);
		else
			jsonw_string_bytes(&w, (const char *)data, size);
		if (jsonw_need(&w) != wlen || jsonw_finish(&w) != (cap > wlen ? 0 : -ENOSPC) ||
		    strlen(buf) != (cap > wlen ? wlen : cap - 1) ||
		    memcmp(buf, whole, strlen(buf)))
			abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t olen = 0, dlen = 0, i, n;
	unsigned char *dec, *want;
	int valid = utf8_valid((const char *)data, size);
	char *out;

	if (valid != ref_valid(data, size))
		abort();
	out = render(0, data, size, &olen);
	if (!ref_valid((const unsigned char *)out, olen))
		abort(); /* JSON text must be UTF-8 whatever the input */
	dec = json_decode(out, olen, &dlen);
	if (valid && (dlen != size || memcmp(dec, data, size)))
		abort();
	check_bounded(0, data, size, out, olen);
	free(dec);
	free(out);

	/* bytes: each one a code point of its own, up to the first NUL */
	out = render(1, data, size, &olen);
	dec = json_decode(out, olen, &dlen);
	want = malloc(2 * size + 1);
	if (!want)
		abort();
	for (i = 0, n = 0; i < size && data[i]; i++)
		n += put_utf8(want + n, data[i]);
	if (dlen != n || memcmp(dec, want, n))
		abort();
	check_bounded(1, data, size, out, olen);
	free(want);
	free(dec);
	free(out);

	out = render(2, data, size, &olen);
	dec = b64_decode(out, olen, &dlen);
	if (dlen != size || memcmp(dec, data, size))
		abort();
	free(dec);
	free(out);
	return 0;
}
