/* libFuzzer: swarm top's snapshot (user/top/top.h), a frame any process
 * that can write the bus could send to a watcher. Whatever decodes must
 * stay inside every bound, encode again and decode to the same struct,
 * and draw on any terminal size within it (every line at most the width,
 * no more lines than the height). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

static char enc[TOP_SNAP_MAX], scr[TOP_SNAP_MAX];

static void check_screen(const struct top_snap *s, int cols, int rows)
{
	struct top_rates r = { 1.5, -1 };
	const char *p = scr;
	int lines = 0;

	top_view_screen(s, &r, "swarm-fuzz", NULL, cols, rows, scr, sizeof(scr));
	while (*p) {
		const char *nl = strchr(p, '\n');

		if (!nl || nl - p > cols)
			abort();
		lines++;
		p = nl + 1;
	}
	if (lines > rows)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct top_snap a, b;
	char *buf = malloc(size ? size : 1), *out = NULL;
	size_t olen = 0;
	FILE *f;
	int n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);   /* exact size: ASan sees a read past it */
	if (top_snap_decode(buf, size, &a)) {
		free(buf);
		return 0;
	}
	if (a.nslow > TOP_MAX_SLOW || a.ncoords > TOP_MAX_COORDS || a.nlocks > TOP_MAX_LOCKS ||
	    a.nfds > TOP_MAX_FDS || a.done > a.expected || a.delivered + a.failed > a.done)
		abort();
	n = top_snap_encode(&a, enc, sizeof(enc));
	if (n <= 0 || top_snap_decode(enc, (size_t)n, &b) || memcmp(&a, &b, sizeof(a)))
		abort();
	check_screen(&a, 120, 40);
	check_screen(&a, 40, 15);
	check_screen(&a, 21, 4);
	f = open_memstream(&out, &olen);
	if (f) {
		top_view_line(f, &a, &(struct top_rates){ -1, -1 }, 0);
		top_view_json(f, &a, &(struct top_rates){ 3, 4 }, 0);
		fclose(f);
	}
	free(out);
	free(buf);
	return 0;
}
