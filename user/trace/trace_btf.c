/* The kernel's BTF cut to what swarm's BPF object relocates against.
 *
 * libbpf 1.1 searches the whole kernel BTF (~126k types here) once per
 * type a CO-RE relocation names: ~15 ms of every tracer load, more than
 * the verifier takes. The build cuts the kernel BTF to those types
 * (`bpftool gen min_core_btf`, see the Makefile) and embeds it here with
 * the kernel's identity: /sys/kernel/notes, which holds its build id.
 * Only on that same kernel is the cut used; on any other the full search
 * runs, as before. The object has field relocations only (no type ids),
 * which is what a cut BTF can answer. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_int.h"

#ifndef TRACE_BTF_DIR
#error "TRACE_BTF_DIR: the build directory holding swarm.min.btf and kernel.notes"
#endif

__asm__(".section .rodata\n"
	".balign 8\n"
	".globl swarm_min_btf, swarm_min_btf_end, swarm_kernel_notes, swarm_kernel_notes_end\n"
	".hidden swarm_min_btf, swarm_min_btf_end, swarm_kernel_notes, swarm_kernel_notes_end\n"
	"swarm_min_btf:\n"
	".incbin \"" TRACE_BTF_DIR "/swarm.min.btf\"\n"
	"swarm_min_btf_end:\n"
	"swarm_kernel_notes:\n"
	".incbin \"" TRACE_BTF_DIR "/kernel.notes\"\n"
	"swarm_kernel_notes_end:\n"
	".previous\n");
extern const char swarm_min_btf[], swarm_min_btf_end[];
extern const char swarm_kernel_notes[], swarm_kernel_notes_end[];

#define NOTES_MAX 4096

/* Is the running kernel the one the cut was made from? */
static bool same_kernel(void)
{
	size_t want = (size_t)(swarm_kernel_notes_end - swarm_kernel_notes);
	char buf[NOTES_MAX];
	ssize_t n, got = 0;
	int fd;

	if (!want || want > sizeof(buf))
		return false;
	fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (got < (ssize_t)sizeof(buf) &&
	       (n = read(fd, buf + got, sizeof(buf) - (size_t)got)) > 0)
		got += n;
	close(fd);
	return (size_t)got == want && !memcmp(buf, swarm_kernel_notes, want);
}

int trace_btf_open(void)
{
	size_t len = (size_t)(swarm_min_btf_end - swarm_min_btf), off = 0;
	int fd;

	if (!len || !same_kernel())
		return -ENOENT;
	fd = memfd_create("swarm-min-btf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, swarm_min_btf + off, len - off);

		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		off += (size_t)n;
	}
	return fd;
}
