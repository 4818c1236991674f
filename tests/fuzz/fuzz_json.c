/* libFuzzer: utf8_valid, json_str and json_base64 against independent
 * reference code: the validator is compared with a range-table decoder
 * (RFC 3629), json_str output is parsed back and must be valid JSON text
 * that decodes to the input whenever the input was valid UTF-8, and base64
 * must decode to the input. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL;
	size_t olen = 0, dlen = 0;
	unsigned char *dec;
	int valid = utf8_valid((const char *)data, size);
	FILE *f;

	if (valid != ref_valid(data, size))
		abort();
	if (!(f = open_memstream(&out, &olen)))
		abort();
	json_str(f, (const char *)data, size);
	fclose(f);
	if (!ref_valid((const unsigned char *)out, olen))
		abort(); /* JSON text must be UTF-8 whatever the input */
	dec = json_decode(out, olen, &dlen);
	if (valid && (dlen != size || memcmp(dec, data, size)))
		abort();
	free(dec);
	free(out);

	out = NULL;
	if (!(f = open_memstream(&out, &olen)))
		abort();
	json_base64(f, data, size);
	fclose(f);
	dec = b64_decode(out, olen, &dlen);
	if (dlen != size || memcmp(dec, data, size))
		abort();
	free(dec);
	free(out);
	return 0;
}
