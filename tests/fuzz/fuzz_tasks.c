/* libFuzzer: the task-file parser (tasks_load_fd, fed through a memfd as
 * `swarm run --tasks` reads a file) and the {} substitution of plain
 * commands. The parse is compared with an independent reference splitter:
 * same tasks, same order, same bytes, or the same error on the same line.
 * Input byte 0 chooses a mode: 0xff builds a line around TASK_MAX_LEN from
 * the rest (the length limit), anything else is the file as it is. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tasks.h"

struct ref_task {
	const char *s;
	size_t len;
};

/* tasks.h's rules, written the plain way: 0, or -err with *line. */
static int ref_split(const char *buf, size_t len, struct ref_task *v, size_t *n,
		     size_t *line)
{
	size_t i = 0, ln = 0, l;

	*n = 0;
	while (i < len) {
		const char *s = buf + i, *nl = memchr(s, '\n', len - i);

		/* memchr, not a loop: the instrumented harness code would
		 * dominate on the 256 KiB lines */
		l = nl ? (size_t)(nl - s) : len - i;
		ln++;
		i += l + 1;
		if (memchr(s, 0, l)) {
			*line = ln;
			return -EINVAL;
		}
		if (l && s[l - 1] == '\r')
			l--;
		if (!l)
			continue;
		if (l > TASK_MAX_LEN || *n >= TASK_MAX_COUNT) {
			*line = ln;
			return -E2BIG;
		}
		v[*n].s = s;
		v[(*n)++].len = l;
	}
	return 0;
}

static void check_substitute(const struct task *t)
{
	char *const argv[] = { "cmd", "{}", "a{}b{}c", "{", "}{}{", "{{}}", "", NULL };
	char **out = NULL;
	size_t i;

	if (tasks_substitute(argv, t->text, &out))
		abort();
	for (i = 0; argv[i]; i++) {
		/* reference: expand by hand, never re-scanning the task */
		const char *a = argv[i], *o = out[i];
		size_t k = 0;

		while (*a) {
			if (a[0] == '{' && a[1] == '}') {
				if (strncmp(o + k, t->text, t->len))
					abort();
				k += t->len;
				a += 2;
			} else {
				if (o[k] != *a)
					abort();
				k++;
				a++;
			}
		}
		if (o[k])
			abort();
	}
	if (out[i])
		abort();
	free(out);
}

static int memfd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-tasks", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	return fd;
}

static void check(const char *buf, size_t len)
{
	struct task_list tl;
	struct ref_task *ref = malloc((len / 2 + 2) * sizeof(*ref));
	size_t bad = 0, rbad = 0, rn = 0, i;
	int fd, err, rerr;

	if (!ref)
		abort();
	rerr = ref_split(buf, len, ref, &rn, &rbad);
	/* One memfd for the process, rewritten per input: creating one per
	 * input would make the syscall, not the parser, the bottleneck. */
	fd = memfd();
	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET))
		abort();
	err = tasks_load_fd(fd, &tl, &bad);
	if (err != rerr)
		abort();
	if (err) {
		if (bad != rbad || tl.v || tl.n || tl.buf)
			abort();
		free(ref);
		return;
	}
	if (tl.n != rn)
		abort();
	for (i = 0; i < tl.n; i++) {
		const struct task *t = &tl.v[i];

		if (t->id != i || t->len != ref[i].len || !t->len ||
		    t->len > TASK_MAX_LEN || t->text[t->len] ||
		    memcmp(t->text, ref[i].s, t->len) ||
		    memchr(t->text, '\n', t->len) || memchr(t->text, 0, t->len) ||
		    t->owner != -1 || t->state || t->status)
			abort();
		if (i < 4 && t->len <= 4096)
			check_substitute(t);
	}
	tasks_free(&tl);
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	size_t len;

	if (size && data[0] == 0xff) {
		/* one line of TASK_MAX_LEN - 1 .. + 2 bytes between the rest */
		size_t body = TASK_MAX_LEN - 1 + (size > 1 ? data[1] % 4 : 0);
		size_t rest = size > 2 ? size - 2 : 0;

		len = rest + body;
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data + 2, rest / 2);
		memset(buf + rest / 2, 'x', body);
		memcpy(buf + rest / 2 + body, data + 2 + rest / 2, rest - rest / 2);
	} else {
		len = size;
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data, size);
	}
	check(buf, len);
	free(buf);
	return 0;
}
