/* A progress / ETA line on a terminal. */
#include <stdio.h>
#include <unistd.h>

#include "run_progress.h"
#include "util.h"

void progress_init(struct run_progress *p, int wanted)
{
	p->on = wanted && isatty(1) && isatty(2);
	p->shown = 0;
	p->t0 = now_ns();
	p->last = 0;
}

void progress_show(struct run_progress *p, size_t done, size_t failed,
		   size_t running, size_t total, int force)
{
	uint64_t now = now_ns();
	double el, eta;
	int pct, bar, i;
	char line[160];

	if (!p->on || (!force && now - p->last < 100000000ull))
		return;
	p->last = now;
	el = (double)(now - p->t0) / 1e9;
	eta = done ? el / (double)done * (double)(total - done) : 0;
	pct = total ? (int)(100 * done / total) : 100;
	bar = pct / 5;
	for (i = 0; i < 20; i++)
		line[i] = i < bar ? '#' : '.';
	line[20] = 0;
	fprintf(stderr, "\r\033[K[%s] %3d%% %zu/%zu done, %zu failed, %zu running, "
		"ETA %.0fs", line, pct, done, total, failed, running, eta);
	fflush(stderr);
	p->shown = 1;
}

void progress_clear(struct run_progress *p)
{
	if (!p->on || !p->shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = 0;
}
