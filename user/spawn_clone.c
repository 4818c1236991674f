/* The CLONE_VM | CLONE_VFORK trampoline of include/spawn_clone.h. The
 * child starts on a fresh stack with no C frame to return to, so the
 * syscall and the jump into fn are one piece of assembly. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "spawn_clone.h"

/* Enough for child_exec's few frames and glibc's syscall wrappers. */
#define CHILD_STACK (64 * 1024)

/* Sanitizer runtimes keep per-thread stack bounds and would complain about
 * (or poison) a child running on a stack they do not know: those builds
 * copy memory instead (spawn.c falls back to a plain clone3). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SPAWN_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SPAWN_SANITIZED 1
#endif

#if defined(__x86_64__) && !defined(SPAWN_SANITIZED)

int spawn_clone_vm_supported(void) { return 1; }

/* One per thread, kept: the parent sleeps until the child is done with
 * it (CLONE_VFORK), so spawns of one thread reuse it in turn. */
static _Thread_local void *child_stack;

long spawn_clone_vm(struct clone_args *ca, void (*fn)(void *), void *arg)
{
	register long r12 __asm__("r12") = (long)fn;
	register long r13 __asm__("r13") = (long)arg;
	long ret;

	if (!child_stack) {
		void *s = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

		if (s == MAP_FAILED)
			return -errno;
		child_stack = s;
	}
	ca->flags |= CLONE_VM | CLONE_VFORK;
	ca->stack = (uint64_t)(uintptr_t)child_stack;
	ca->stack_size = CHILD_STACK;
	/* Child: rax 0, rsp at the stack's top (16-aligned; the call makes
	 * it the ABI's entry alignment), r12/r13 kept by the kernel. fn
	 * does not return; if it did, exit with its garbage status. */
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov $127, %%edi\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(ca), "S"(sizeof(*ca)),
			   "r"(r12), "r"(r13), [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory");
	return ret;
}

#else

int spawn_clone_vm_supported(void) { return 0; }

long spawn_clone_vm(struct clone_args *ca, void (*fn)(void *), void *arg)
{
	(void)ca; (void)fn; (void)arg;
	return -ENOSYS;
}

#endif
