/* USDT sites of a binary, and one uprobe_multi link over all of them.
 *
 * libbpf 1.1 attaches a USDT probe as one perf-event uprobe per site and
 * program: ~3 ms each to attach, one RCU grace period each to detach, and
 * an argument-spec map the program must interpret. swarm's probes pin
 * their arguments to fixed registers (user/bus/swarm_probe.h), so all a
 * tracer needs is where the sites are: read from the ELF's .note.stapsdt
 * here, then handed to the kernel in one BPF_LINK_CREATE (uprobe_multi,
 * kernel 6.6+), whose release waits once. The binary is outside input:
 * every size and offset in it is checked before use. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "trace_int.h"

#define SH_MAX 4096            /* section headers we are willing to read */
#define PH_MAX 256
#define NOTES_MAX (4u << 20)   /* bytes of .note.stapsdt */
#define SHSTR_MAX (1u << 20)

/* link_create of BPF_TRACE_UPROBE_MULTI (uapi 6.6+; the Debian 12
 * headers are older) */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
	__u32 pad;
};

struct elf_file {
	int fd;
	uint64_t size;
	Elf64_Ehdr eh;
	Elf64_Shdr *sh;
	Elf64_Phdr *ph;
};

/* Read exactly len bytes at off, inside the file. */
static int read_at(const struct elf_file *e, void *buf, uint64_t len, uint64_t off)
{
	ssize_t n;

	if (off > e->size || len > e->size - off)
		return -ENOEXEC;
	n = pread(e->fd, buf, len, (off_t)off);
	if (n < 0)
		return -errno;
	return (uint64_t)n == len ? 0 : -ENOEXEC;
}

static void *read_alloc(const struct elf_file *e, uint64_t len, uint64_t off, uint64_t max)
{
	void *p;

	if (!len || len > max)
		return NULL;
	p = malloc(len);
	if (p && read_at(e, p, len, off)) {
		free(p);
		p = NULL;
	}
	return p;
}

static int elf_open(struct elf_file *e, const char *path)
{
	const Elf64_Ehdr *h = &e->eh;
	struct stat st;
	int err;

	memset(e, 0, sizeof(*e));
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	if (fstat(e->fd, &st) || !S_ISREG(st.st_mode))
		return -ENOEXEC;
	e->size = (uint64_t)st.st_size;
	err = read_at(e, &e->eh, sizeof(e->eh), 0);
	if (err)
		return err;
	if (memcmp(h->e_ident, ELFMAG, SELFMAG) || h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_shentsize != sizeof(Elf64_Shdr) ||
	    h->e_phentsize != sizeof(Elf64_Phdr) || !h->e_shnum || h->e_shnum > SH_MAX ||
	    h->e_phnum > PH_MAX || h->e_shstrndx >= h->e_shnum)
		return -ENOEXEC;
	e->sh = read_alloc(e, (uint64_t)h->e_shnum * sizeof(Elf64_Shdr), h->e_shoff, ~0ull);
	e->ph = h->e_phnum ? read_alloc(e, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr),
					h->e_phoff, ~0ull) : NULL;
	return e->sh && (e->ph || !h->e_phnum) ? 0 : -ENOEXEC;
}

static void elf_close(struct elf_file *e)
{
	free(e->sh);
	free(e->ph);
	if (e->fd >= 0)
		close(e->fd);
}

/* The section called name (NULL if none). */
static const Elf64_Shdr *section(const struct elf_file *e, const char *strs, uint64_t nstr,
				 const char *name)
{
	size_t len = strlen(name) + 1;

	for (unsigned i = 0; i < e->eh.e_shnum; i++) {
		uint64_t o = e->sh[i].sh_name;

		if (o < nstr && nstr - o >= len && !memcmp(strs + o, name, len))
			return &e->sh[i];
	}
	return NULL;
}

/* A virtual address -> its offset in the file (what uprobes take). */
static int file_offset(const struct elf_file *e, uint64_t va, uint64_t *off)
{
	for (unsigned i = 0; i < e->eh.e_phnum; i++) {
		const Elf64_Phdr *p = &e->ph[i];

		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && va >= p->p_vaddr &&
		    va - p->p_vaddr < p->p_filesz) {
			*off = va - p->p_vaddr + p->p_offset;
			return 0;
		}
	}
	return -ENOEXEC;
}

/* Next NUL-terminated string inside [*p, end), or NULL. */
static const char *note_str(const char **p, const char *end)
{
	const char *s = *p, *z = s < end ? memchr(s, '\0', (size_t)(end - s)) : NULL;

	if (!z)
		return NULL;
	*p = z + 1;
	return s;
}

struct note_walk {
	const struct elf_file *e;
	uint64_t base_addr;     /* where .stapsdt.base is (0: none) */
	const char *provider;
	const struct usdt_want *want;
	size_t nwant;
	struct usdt_site *out;
	size_t max, n;
};

static int one_note(struct note_walk *w, const char *desc, uint64_t len)
{
	const char *p = desc + 24, *end = desc + len, *prov, *name;
	uint64_t pc, base, off;

	if (len < 24)
		return 0;
	memcpy(&pc, desc, 8);
	memcpy(&base, desc + 8, 8);
	prov = note_str(&p, end);
	name = note_str(&p, end);
	if (!prov || !name || strcmp(prov, w->provider))
		return 0;
	/* a note records the link-time address of .stapsdt.base: if a
	 * prelinker moved the binary, the site moved by as much */
	if (base && w->base_addr)
		pc += w->base_addr - base;
	for (size_t i = 0; i < w->nwant; i++) {
		if (strcmp(name, w->want[i].name))
			continue;
		if (file_offset(w->e, pc, &off))
			return -ENOEXEC;
		if (w->n >= w->max)
			return -E2BIG;
		w->out[w->n].offset = off;
		w->out[w->n].cookie = w->want[i].cookie;
		w->n++;
	}
	return 0;
}

static int walk_notes(struct note_walk *w, const char *buf, uint64_t len)
{
	uint64_t o = 0;
	int err;

	while (len - o >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_len, desc_len;

		memcpy(&nh, buf + o, sizeof(nh));
		o += sizeof(nh);
		name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (name_len > len - o || desc_len > len - o - name_len)
			return -ENOEXEC;
		if (nh.n_type == 3 && nh.n_namesz == 8 && !memcmp(buf + o, "stapsdt", 8)) {
			err = one_note(w, buf + o + name_len, nh.n_descsz);
			if (err)
				return err;
		}
		o += name_len + desc_len;
	}
	return 0;
}

int usdt_sites(const char *path, const char *provider, const struct usdt_want *want,
	       size_t nwant, struct usdt_site *out, size_t max, size_t *n)
{
	struct note_walk w = { .provider = provider, .want = want, .nwant = nwant,
			       .out = out, .max = max };
	const Elf64_Shdr *notes, *base, *ss;
	struct elf_file e;
	char *strs = NULL, *buf = NULL;
	int err;

	*n = 0;
	err = elf_open(&e, path);
	if (err)
		goto out;
	w.e = &e;
	err = -ENOEXEC;
	ss = &e.sh[e.eh.e_shstrndx];
	strs = read_alloc(&e, ss->sh_size, ss->sh_offset, SHSTR_MAX);
	if (!strs)
		goto out;
	notes = section(&e, strs, ss->sh_size, ".note.stapsdt");
	base = section(&e, strs, ss->sh_size, ".stapsdt.base");
	err = -ENOENT;
	if (!notes || notes->sh_type != SHT_NOTE)
		goto out; /* no USDT probes at all */
	err = -ENOEXEC;
	buf = read_alloc(&e, notes->sh_size, notes->sh_offset, NOTES_MAX);
	if (!buf)
		goto out;
	w.base_addr = base ? base->sh_addr : 0;
	err = walk_notes(&w, buf, notes->sh_size);
	*n = w.n;
	if (!err && !w.n)
		err = -ENOENT;
out:
	free(buf);
	free(strs);
	elf_close(&e);
	return err;
}

int uprobe_multi_link(int prog_fd, const char *path, const struct usdt_site *s, size_t n)
{
	struct uprobe_multi_attr a;
	uint64_t *offs, *cookies;
	int fd;

	if (!n || n > TRACE_USDT_SITES)
		return -EINVAL;
	offs = calloc(n, sizeof(*offs));
	cookies = calloc(n, sizeof(*cookies));
	if (!offs || !cookies) {
		fd = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		offs[i] = s[i].offset;
		cookies[i] = s[i].cookie;
	}
	memset(&a, 0, sizeof(a));
	a.prog_fd = (__u32)prog_fd;
	a.attach_type = TRACE_UPROBE_MULTI;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offs;
	a.cookies = (uintptr_t)cookies;
	a.cnt = (__u32)n;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		fd = -errno;
out:
	free(offs);
	free(cookies);
	return fd;
}
