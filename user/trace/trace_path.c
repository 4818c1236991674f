/* A path the BPF side walked (leaf first, bpf/trace_path.h) as text. */
#include <stdio.h>
#include <string.h>

#include "trace_path.h"

char *trace_path_str(const struct trace_path *p, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i, depth = p->depth < TRACE_PATH_DEPTH ? p->depth : TRACE_PATH_DEPTH;
	int n;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (p->truncated) {
		n = snprintf(buf, len, "...");
		off = n > 0 && (size_t)n < len ? (size_t)n : len - 1;
	}
	for (i = depth; i-- > 0;) {
		/* the kernel copy is NUL-terminated within the slot, but do
		 * not trust it to be */
		n = snprintf(buf + off, len - off, "/%.*s", TRACE_PATH_COMP, p->comp[i]);
		if (n < 0 || (size_t)n >= len - off)
			break; /* buf is full: keep what fits */
		off += (size_t)n;
	}
	return buf;
}
