/* swarm top on a terminal: plain ANSI (no curses: the front links libc
 * only). The alternate screen and a hidden cursor while it runs; the
 * caller leaves on every way out, so the user's screen comes back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "top_tty.h"
#include "util.h"

#define ALT_ON   "\033[?1049h\033[?25l"
#define ALT_OFF  "\033[?25h\033[?1049l"

int top_tty_enter(struct top_tty *t, int out_fd, int in_fd)
{
	struct termios raw;

	t->out = out_fd;
	t->in = isatty(in_fd) ? in_fd : -1;
	t->have_saved = 0;
	/* Keys one at a time and unechoed; ISIG stays, so Ctrl-C is SIGINT
	 * and goes through the same way out as SIGTERM. */
	if (t->in >= 0 && tcgetattr(t->in, &t->saved) == 0) {
		raw = t->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(t->in, TCSANOW, &raw) == 0)
			t->have_saved = 1;
	}
	t->on = 1;
	return write_full(t->out, ALT_ON, sizeof(ALT_ON) - 1);
}

void top_tty_leave(struct top_tty *t)
{
	if (!t->on)
		return;
	t->on = 0;
	write_full(t->out, ALT_OFF, sizeof(ALT_OFF) - 1);
	if (t->have_saved)
		tcsetattr(t->in, TCSANOW, &t->saved);
	t->have_saved = 0;
}

void top_tty_size(const struct top_tty *t, int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (ioctl(t->out, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

/* One write per frame (no flicker): home, each line cleared to its end,
 * the first in reverse video, then everything below the last cleared.
 * The last line gets no newline, so a full screen never scrolls. */
int top_tty_draw(const struct top_tty *t, const char *screen)
{
	size_t len = strlen(screen), cap = len * 6 + 64, n = 0;   /* "\n" -> "\033[K\r\n" */
	char *buf = malloc(cap);
	const char *p = screen;
	int first = 1, err;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, "\033[H", 3);
	n = 3;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (!first) {
			memcpy(buf + n, "\r\n", 2);
			n += 2;
		}
		if (first) {
			memcpy(buf + n, "\033[7m", 4);
			n += 4;
		}
		memcpy(buf + n, p, l);
		n += l;
		memcpy(buf + n, first ? "\033[K\033[m" : "\033[K", first ? 6 : 3);
		n += first ? 6 : 3;
		first = 0;
		p += l + (nl != NULL);
	}
	memcpy(buf + n, "\033[J", 3);
	n += 3;
	err = write_full(t->out, buf, n);
	free(buf);
	return err;
}

/* 1 if the user pressed q, 0 otherwise (other keys are ignored). */
int top_tty_quit_key(const struct top_tty *t)
{
	char k[32];
	ssize_t n, i;

	if (t->in < 0)
		return 0;
	n = read(t->in, k, sizeof(k));
	for (i = 0; i < n; i++)
		if (k[i] == 'q' || k[i] == 'Q')
			return 1;
	return 0;
}
