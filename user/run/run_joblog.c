/* --joblog in GNU parallel's format; --resume / --resume-failed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_joblog.h"

static const char header[] =
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

int joblog_open(const char *path, int append, FILE **out)
{
	struct stat st;
	FILE *f = fopen(path, append ? "ae" : "we");

	if (!f)
		return -errno;
	if (!append || (fstat(fileno(f), &st) == 0 && st.st_size == 0))
		fputs(header, f);
	fflush(f);
	*out = f;
	return 0;
}

void joblog_line(FILE *f, const struct task *t, int64_t wall_off_ns,
		 uint64_t send, uint64_t recv, const char *cmd)
{
	double start = (double)((int64_t)t->t_start_ns + wall_off_ns) / 1e9;
	double run = t->t_end_ns > t->t_start_ns
		     ? (double)(t->t_end_ns - t->t_start_ns) / 1e9 : 0;
	int code = t->exit_code, exitval = code < 0 ? 0 : code, sig = code < 0 ? -code : 0;

	if (t->status == TS_TIMEOUT)
		exitval = -1;
	fprintf(f, "%u\t:\t%.3f\t%10.3f\t%llu\t%llu\t%d\t%d\t", t->id + 1, start, run,
		(unsigned long long)send, (unsigned long long)recv, exitval, sig);
	/* One line per task: a newline in the command would split it. */
	for (; cmd && *cmd; cmd++)
		fputc(*cmd == '\n' ? ' ' : *cmd, f);
	fputc('\n', f);
	fflush(f);
}

/* Field i (0-based) of a TAB-separated line as a long; -EINVAL if absent. */
static int field(const char *line, int i, long *v)
{
	char *end;

	while (i-- > 0) {
		line = strchr(line, '\t');
		if (!line)
			return -EINVAL;
		line++;
	}
	errno = 0;
	*v = strtol(line, &end, 10);
	return errno || end == line || (*end != '\t' && *end != '\n' && *end) ? -EINVAL : 0;
}

int joblog_resume(const char *path, int only_ok, unsigned char *skip, size_t n,
		  size_t *bad_line)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, no = 0;
	int err = 0;

	*bad_line = 0;
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (getline(&line, &cap, f) > 0) {
		long seq, ev, sig;

		if (++no == 1 && !strncmp(line, "Seq\t", 4))
			continue;
		if (field(line, 0, &seq) || field(line, 6, &ev) || field(line, 7, &sig) ||
		    seq < 1) {
			*bad_line = no;
			err = -EINVAL;
			break;
		}
		if ((size_t)seq <= n && (!only_ok || (ev == 0 && sig == 0)))
			skip[seq - 1] = 1;
	}
	free(line);
	fclose(f);
	return err;
}
