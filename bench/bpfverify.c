/* bpfverify: what the kernel's verifier spends on each program of a BPF
 * object, the biggest part of attaching the tracer.
 *
 *   bpfverify OBJECT.bpf.o
 *
 * Loads every program of OBJECT once with the verifier's statistics on
 * (log level 4) and prints one JSON line:
 *   {"load_ms":..,"insns":..,"verify_us":..,"progs":[{"name":..,
 *    "insns":..,"states":..,"verify_us":..}]}
 * "insns" is the verifier's "processed N insns": it depends only on the
 * program and the kernel, not on the machine's load, so two builds can be
 * compared on a noisy host; the times are what this run took. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#define MAX_PROGS 32
#define LOG_SIZE 65536

struct prog_log {
	struct bpf_program *p;
	char *buf;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The number after KEY in the verifier's log, or -1. */
static long log_num(const char *log, const char *key)
{
	const char *s = strstr(log, key);

	return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct prog_log logs[MAX_PROGS];
	struct bpf_object *obj;
	struct bpf_program *p;
	long insns = 0, us = 0;
	unsigned n = 0, i;
	double t0, t1;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: bpfverify OBJECT.bpf.o\n");
		return 2;
	}
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "bpfverify: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, obj) {
		if (n == MAX_PROGS)
			break;
		logs[n].p = p;
		logs[n].buf = calloc(1, LOG_SIZE);
		if (!logs[n].buf)
			break;
		bpf_program__set_log_level(p, 4);
		bpf_program__set_log_buf(p, logs[n].buf, LOG_SIZE);
		n++;
	}
	t0 = now_ms();
	err = bpf_object__load(obj);
	t1 = now_ms();
	if (err) {
		fprintf(stderr, "bpfverify: loading %s failed: %s\n", argv[1], strerror(-err));
		goto out;
	}
	printf("{\"load_ms\":%.1f,\"progs\":[", t1 - t0);
	for (i = 0; i < n; i++) {
		long pi = log_num(logs[i].buf, "processed "), pu = log_num(logs[i].buf, "verification time ");

		printf("%s{\"name\":\"%s\",\"insns\":%ld,\"states\":%ld,\"verify_us\":%ld}", i ? "," : "",
		       bpf_program__name(logs[i].p), pi, log_num(logs[i].buf, "total_states "), pu);
		insns += pi > 0 ? pi : 0;
		us += pu > 0 ? pu : 0;
	}
	printf("],\"insns\":%ld,\"verify_us\":%ld}\n", insns, us);
out:
	bpf_object__close(obj);
	for (i = 0; i < n; i++)
		free(logs[i].buf);
	return err ? 1 : 0;
}
