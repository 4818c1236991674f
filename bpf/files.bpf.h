/* Reading a task's fd table and naming a file, for the fd and lock
 * tracers: count open fds, classify a file, walk its path. Include after
 * vmlinux.h and common.bpf.h. */
#ifndef SWARM_FILES_BPF_H
#define SWARM_FILES_BPF_H

#include "fdleak.h"
#include "trace_path.h"

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define ANON_INODE_FS_MAGIC 0x09041934
#define PIDFS_MAGIC 0x50494446
#define FD_MAX_WORDS 1024 /* bitmap words scanned: 65536 fds */

static __always_inline __u64 popcount64(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

struct fd_count {
	unsigned long *bits;
	__s32 n;
};

static long count_word(__u32 i, void *arg)
{
	struct fd_count *c = arg;
	__u64 w;

	if (bpf_probe_read_kernel(&w, sizeof(w), &c->bits[i]))
		return 1;
	c->n += popcount64(w);
	return 0;
}

/* Global (not static) functions here: the verifier checks each once,
 * alone, instead of once per call site and state of every caller. Kernel
 * pointers come in as plain numbers, read with probe reads (the raw
 * tracepoints' arguments are no more than that); an iterator's task as a
 * trusted pointer. */
#define __arg_trusted __attribute__((btf_decl_tag("arg:trusted")))

/* Bits set in the fd table: the kernel's own count of open fds, however
 * they were made. bpf_loop: the verifier checks the word once, not once
 * per word. */
static __always_inline __s32 fdt_count(struct fdtable *fdt)
{
	struct fd_count c = { 0 };
	__u32 words;

	if (!fdt)
		return 0;
	words = (BPF_CORE_READ(fdt, max_fds) + 63) / 64;
	c.bits = BPF_CORE_READ(fdt, open_fds);
	bpf_loop(words < FD_MAX_WORDS ? words : FD_MAX_WORDS, count_word, &c, 0);
	return c.n;
}

/* Open fds of a task given as a trusted pointer (an iterator's). A task
 * past exit_files() has none. */
__noinline __s32 count_fds(struct task_struct *t __arg_trusted)
{
	return t ? fdt_count(BPF_CORE_READ(t, files, fdt)) : 0;
}

/* The same for a task given as a number (a raw tracepoint's argument). */
__noinline __s32 count_fds_at(__u64 task)
{
	struct task_struct *t = (void *)task;

	return t ? fdt_count(BPF_CORE_READ(t, files, fdt)) : 0;
}

static __always_inline __attribute__((unused)) __u32 file_kind(struct file *f)
{
	struct inode *in = BPF_CORE_READ(f, f_inode);
	unsigned long magic = BPF_CORE_READ(in, i_sb, s_magic);
	__u32 mode = BPF_CORE_READ(in, i_mode);

	if (magic == ANON_INODE_FS_MAGIC || magic == PIDFS_MAGIC)
		return FD_KIND_ANON;
	switch (mode & S_IFMT) {
	case S_IFREG: return FD_KIND_FILE;
	case S_IFDIR: return FD_KIND_DIR;
	case S_IFIFO: return FD_KIND_PIPE;
	case S_IFSOCK: return FD_KIND_SOCKET;
	case S_IFCHR: case S_IFBLK: return FD_KIND_DEV;
	}
	return FD_KIND_OTHER;
}

/* The same for a file read out of an fd array: global, and the file
 * passed as a number, so the verifier sees one unknown result instead of
 * following each kind down the caller's code. */
__noinline __u32 file_kind_at(__u64 file)
{
	return file_kind((struct file *)file);
}

struct path_walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	struct trace_path *out;
};

/* One step up: to the parent dentry, or across to where the mount sits.
 * Locals only inside BPF_CORE_READ: it relocates the whole expression, and
 * struct path_walk is not a kernel type. */
static long path_step(__u32 i, void *arg)
{
	struct path_walk *w = arg;
	struct dentry *d = w->d, *parent;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt, *up;
	/* the count lives in the output, not in w: read back from memory it
	 * is a number the verifier does not follow, so one step is checked
	 * once rather than once per depth */
	__u32 n = w->out->depth;

	if (d == BPF_CORE_READ(vm, mnt_root)) {
		up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || !up)
			return 1; /* the root of the mount tree */
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vm = (void *)up + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	if (n >= TRACE_PATH_DEPTH) {
		w->out->truncated = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	bpf_probe_read_kernel_str(w->out->comp[n & (TRACE_PATH_DEPTH - 1)], TRACE_PATH_COMP,
				  BPF_CORE_READ(d, d_name.name));
	w->out->depth = n + 1;
	if (parent == d || !parent)
		return 1; /* a pseudo file system's only dentry */
	w->d = parent;
	return 0;
}

/* dentry -> d_parent up to the mount's root, then on from where that
 * mount sits, leaf first. Bounded: TRACE_PATH_DEPTH names, a few mounts;
 * bpf_loop, so the verifier walks one step, not every path of them. */
__noinline int file_path(__u64 file, struct trace_path *out)
{
	struct path_walk w = { .out = out };
	struct file *f = (void *)file;

	if (!out)
		return 0;
	out->depth = 0;
	out->truncated = 0;
	w.d = BPF_CORE_READ(f, f_path.dentry);
	w.vm = BPF_CORE_READ(f, f_path.mnt);
	if (!w.d || !w.vm)
		return 0;
	w.mnt = (void *)w.vm - bpf_core_field_offset(struct mount, mnt);
	if (bpf_loop(TRACE_PATH_DEPTH + 4, path_step, &w, 0) == TRACE_PATH_DEPTH + 4)
		out->truncated = 1;
	return out->depth;
}

#endif
