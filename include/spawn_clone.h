/*
 * clone3 with CLONE_VM | CLONE_VFORK: the child borrows the parent's
 * memory on a stack of its own until it execs, the way posix_spawn starts
 * a process. Nothing is copied (no page tables, no anon_vma chains), and
 * the exec has no copied address space to tear down: under load that fork
 * + teardown held kernel locks a coordinator then waited on for 100+ ms.
 */
#ifndef SWARM_SPAWN_CLONE_H
#define SWARM_SPAWN_CLONE_H

#include <linux/sched.h>

/* 1 where spawn_clone_vm exists (x86-64), else 0. */
int spawn_clone_vm_supported(void);

/* clone3(ca) with CLONE_VM | CLONE_VFORK added and a stack of this
 * thread's; the child runs fn(arg), which must exec or _exit (it may only
 * make system calls: it shares every byte of the parent's memory).
 * Returns the child's pid in the parent once the child has exec'd or
 * exited, or -errno. */
long spawn_clone_vm(struct clone_args *ca, void (*fn)(void *), void *arg);

#endif
