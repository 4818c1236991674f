/* Plain-command output: whole per task, completion or input order, --tag. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_output.h"
#include "util.h"

struct held {
	int out_fd, err_fd, done;
	const char *tag;
	size_t len;
};

struct run_output {
	struct run_output_cfg c;
	struct held *h;             /* keep_order: one per position */
	size_t next;                /* keep_order: next position to print */
	int broken;
	char buf[1 << 16];
};

int run_output_new(const struct run_output_cfg *c, struct run_output **out)
{
	struct run_output *o = calloc(1, sizeof(*o));
	size_t i;

	if (!o)
		return -ENOMEM;
	o->c = *c;
	if (c->keep_order) {
		o->h = calloc(c->ntasks ? c->ntasks : 1, sizeof(*o->h));
		if (!o->h) {
			free(o);
			return -ENOMEM;
		}
		for (i = 0; i < c->ntasks; i++)
			o->h[i].out_fd = o->h[i].err_fd = -1;
	}
	*out = o;
	return 0;
}

static int emit(struct run_output *o, int dst, const void *p, size_t n)
{
	int err = write_full(dst, p, n);

	if (err == -EPIPE && dst == o->c.out_fd)
		o->broken = 1;
	return err;
}

/* src from offset 0 to dst as it is: sendfile, read/write where refused. */
static int copy_plain(struct run_output *o, int src, int dst, off_t size)
{
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = sendfile(dst, src, &off, (size_t)(size - off));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			if (dst == o->c.out_fd)
				o->broken = 1;
			return -EPIPE;
		}
		if (n < 0 && errno != EINVAL && errno != ENOSYS)
			return -errno;
		break;
	}
	while (off < size) {
		n = pread(src, o->buf, sizeof(o->buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		if (emit(o, dst, o->buf, (size_t)n))
			return -EIO;
		off += n;
	}
	return 0;
}

/* --tag: the task and a TAB before every line (the last one too, when it
 * has no newline), as GNU parallel does. */
static int copy_tagged(struct run_output *o, int src, int dst, off_t size,
		       const char *tag, size_t len)
{
	char in[8192];
	off_t off = 0;
	int bol = 1;

	while (off < size) {
		ssize_t n = pread(src, in, sizeof(in), off), i, start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
		for (i = 0; i < n; i++) {
			if (bol) {
				if (i > start && emit(o, dst, in + start, (size_t)(i - start)))
					return -EIO;
				start = i;
				if (emit(o, dst, tag, len) || emit(o, dst, "\t", 1))
					return -EIO;
				bol = 0;
			}
			if (in[i] == '\n')
				bol = 1;
		}
		if (n > start && emit(o, dst, in + start, (size_t)(n - start)))
			return -EIO;
	}
	return 0;
}

static void print_one(struct run_output *o, int src, int dst, const char *tag,
		      size_t len)
{
	struct stat st;

	if (src < 0)
		return;
	if (!(o->broken && dst == o->c.out_fd) && fstat(src, &st) == 0 && st.st_size > 0) {
		if (o->c.before_write)
			o->c.before_write(o->c.arg);
		if (o->c.tag)
			copy_tagged(o, src, dst, st.st_size, tag, len);
		else
			copy_plain(o, src, dst, st.st_size);
	}
	close(src);
}

static void print_task(struct run_output *o, struct held *h)
{
	print_one(o, h->out_fd, o->c.out_fd, h->tag, h->len);
	print_one(o, h->err_fd, o->c.err_fd, h->tag, h->len);
	h->out_fd = h->err_fd = -1;
}

void run_output_done(struct run_output *o, size_t pos, const char *tag,
		     size_t len, int out_fd, int err_fd)
{
	struct held now = { out_fd, err_fd, 1, tag, len };

	if (!o->c.keep_order || pos >= o->c.ntasks) {
		print_task(o, &now);
		return;
	}
	o->h[pos] = now;
	while (o->next < o->c.ntasks && o->h[o->next].done)
		print_task(o, &o->h[o->next++]);
}

void run_output_flush(struct run_output *o)
{
	size_t i;

	if (!o->h)
		return;
	for (i = o->next; i < o->c.ntasks; i++)
		if (o->h[i].done)
			print_task(o, &o->h[i]);
	o->next = o->c.ntasks;
}

int run_output_broken(const struct run_output *o)
{
	return o->broken;
}

void run_output_free(struct run_output *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; o->h && i < o->c.ntasks; i++) {
		if (o->h[i].out_fd >= 0)
			close(o->h[i].out_fd);
		if (o->h[i].err_fd >= 0)
			close(o->h[i].err_fd);
	}
	free(o->h);
	free(o);
}
