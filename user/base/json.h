/* Writing JSON safely: strings are escaped, invalid UTF-8 never emitted. */
#ifndef SWARM_JSON_H
#define SWARM_JSON_H

#include <stddef.h>
#include <stdio.h>

/* 1 if buf is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *buf, size_t len);
/* Write a quoted, escaped JSON string. Invalid UTF-8 bytes become U+FFFD;
 * use json_base64 when bytes must round-trip. */
void json_str(FILE *f, const char *buf, size_t len);
/* Write a quoted base64 string of arbitrary bytes. */
void json_base64(FILE *f, const void *buf, size_t len);

#endif
