/* Task lists: file / generated, and {} substitution for plain commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tasks.h"

int tasks_slurp(int fd, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (cap - n < 4096) {
			if (cap > (size_t)TASK_MAX_COUNT * 64) {
				free(buf);
				return -E2BIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static int task_push(struct task_list *tl, size_t *cap, char *text, size_t len)
{
	struct task *nv;

	if (tl->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		nv = realloc(tl->v, *cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		tl->v = nv;
	}
	memset(&tl->v[tl->n], 0, sizeof(tl->v[0]));
	tl->v[tl->n].id = (uint32_t)tl->n;
	tl->v[tl->n].text = text;
	tl->v[tl->n].len = (uint32_t)len;
	tl->v[tl->n].owner = -1;
	tl->n++;
	return 0;
}

/* Split buf in place into lines (each NUL-terminated). */
static int split_lines(struct task_list *tl, char *buf, size_t len,
		       size_t *bad_line)
{
	size_t cap = 0, line = 0, i = 0;
	int err;

	while (i < len) {
		char *s = buf + i, *nl = memchr(s, '\n', len - i);
		size_t l = nl ? (size_t)(nl - s) : len - i;

		line++;
		i += l + 1;
		if (memchr(s, 0, l)) {
			*bad_line = line;
			return -EINVAL;
		}
		if (l && s[l - 1] == '\r')
			l--;
		s[l] = 0;
		if (!l)
			continue;
		if (l > TASK_MAX_LEN) {
			*bad_line = line;
			return -E2BIG;
		}
		if (tl->n >= TASK_MAX_COUNT) {
			*bad_line = line;
			return -E2BIG;
		}
		err = task_push(tl, &cap, s, l);
		if (err)
			return err;
	}
	return 0;
}

int tasks_load_fd(int fd, struct task_list *tl, size_t *bad_line)
{
	size_t len = 0, dummy;
	int err;

	memset(tl, 0, sizeof(*tl));
	if (!bad_line)
		bad_line = &dummy;
	*bad_line = 0;
	err = tasks_slurp(fd, &tl->buf, &len);
	if (err)
		return err;
	err = split_lines(tl, tl->buf, len, bad_line);
	if (err)
		tasks_free(tl);
	return err;
}

int tasks_load_file(const char *path, struct task_list *tl, size_t *bad_line)
{
	int fd, err;

	if (!strcmp(path, "-"))
		return tasks_load_fd(0, tl, bad_line);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = tasks_load_fd(fd, tl, bad_line);
	close(fd);
	return err;
}

int tasks_generate(size_t n, struct task_list *tl)
{
	size_t i, cap = 0, off = 0;
	int err;

	memset(tl, 0, sizeof(*tl));
	if (n > TASK_MAX_COUNT)
		return -E2BIG;
	tl->buf = malloc(n * 20 + 1);
	if (!tl->buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int l = snprintf(tl->buf + off, 20, "task %zu", i + 1);

		err = task_push(tl, &cap, tl->buf + off, (size_t)l);
		if (err) {
			tasks_free(tl);
			return err;
		}
		off += (size_t)l + 1;
	}
	return 0;
}

void tasks_free(struct task_list *tl)
{
	free(tl->v);
	free(tl->buf);
	free(tl->buf2);
	memset(tl, 0, sizeof(*tl));
}

int tasks_has_placeholder(char *const *argv)
{
	for (; argv && *argv; argv++)
		if (strstr(*argv, "{}"))
			return 1;
	return 0;
}

static size_t count_ph(const char *s)
{
	size_t n = 0;

	while ((s = strstr(s, "{}"))) {
		n++;
		s += 2;
	}
	return n;
}

int tasks_substitute(char *const *argv, const char *task, char ***out)
{
	size_t argc = 0, bytes = 0, tl = strlen(task), i;
	char **v, *p;

	for (argc = 0; argv[argc]; argc++) {
		size_t n = count_ph(argv[argc]);
		size_t l = strlen(argv[argc]);

		if (n && tl > 2 && n > (SIZE_MAX / 4) / (tl - 2))
			return -E2BIG;
		bytes += l + 1 + (tl > 2 ? n * (tl - 2) : 0);
	}
	v = malloc((argc + 1) * sizeof(char *) + bytes);
	if (!v)
		return -ENOMEM;
	p = (char *)(v + argc + 1);
	for (i = 0; i < argc; i++) {
		const char *s = argv[i], *ph;

		v[i] = p;
		while ((ph = strstr(s, "{}"))) {
			memcpy(p, s, (size_t)(ph - s));
			p += ph - s;
			memcpy(p, task, tl);
			p += tl;
			s = ph + 2;
		}
		strcpy(p, s);
		p += strlen(s) + 1;
	}
	v[argc] = NULL;
	*out = v;
	return 0;
}

const char *task_status_name(int status)
{
	switch (status) {
	case TS_NONE: return "pending";
	case TS_OK: return "ok";
	case TS_FAILED: return "failed";
	case TS_EXITED: return "exited";
	case TS_SPAWN: return "spawn-failed";
	case TS_HUNG: return "hung";
	case TS_TIMEOUT: return "timeout";
	case TS_LOST: return "lost";
	case TS_INTERRUPTED: return "interrupted";
	case TS_NOT_STARTED: return "not-started";
	case TS_KILLED: return "killed";
	}
	return "unknown";
}

size_t task_columns(const struct task *t, const char **cols, size_t max)
{
	const char *c = t->cols;
	uint32_t k;

	cols[0] = t->text;
	if (t->ncols <= 1 || t->ncols > max)
		return 1;
	for (k = 0; k < t->ncols; k++, c += strlen(c) + 1)
		cols[k] = c;
	return t->ncols;
}

void tasks_load_error(const char *path, size_t bad_line, int err, char *buf,
		      size_t len)
{
	if (err == -EINVAL && bad_line)
		snprintf(buf, len, "task file %s, line %zu: contains a NUL byte",
			 path, bad_line);
	else if (err == -E2BIG && bad_line)
		snprintf(buf, len, "task file %s, line %zu: longer than %u bytes or "
			 "more than %u tasks", path, bad_line, TASK_MAX_LEN,
			 TASK_MAX_COUNT);
	else
		snprintf(buf, len, "task file %s: %s", path, strerror(-err));
}
