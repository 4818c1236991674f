/* swarm top's terminal: alternate screen, raw keys, size, one write per
 * frame (user/top/top_tty.c). */
#ifndef SWARM_TOP_TTY_H
#define SWARM_TOP_TTY_H

#include <termios.h>

struct top_tty {
	int out, in;            /* in: -1 when stdin is no terminal */
	int on, have_saved;
	struct termios saved;
};

int top_tty_enter(struct top_tty *t, int out_fd, int in_fd);
/* Restores the screen and the terminal modes; safe to call twice. */
void top_tty_leave(struct top_tty *t);
void top_tty_size(const struct top_tty *t, int *cols, int *rows);
/* screen: '\n'-separated lines, each already cut to the width. */
int top_tty_draw(const struct top_tty *t, const char *screen);
int top_tty_quit_key(const struct top_tty *t);

#endif
