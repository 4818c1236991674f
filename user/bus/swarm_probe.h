/* USDT probes of libswarm, read by bpf/latency.bpf.c (and by any USDT
 * tool: `bpftrace -l 'usdt:build/swarm:*'`). The SystemTap SDT note
 * format, written here rather than taken from <sys/sdt.h> so the front
 * stays libc-only with no extra build dependency. The probe site is a
 * 1-byte nop, as <sys/sdt.h>'s. Not the 5-byte nop that kernel 6.18
 * optimises into a call (~0.2 us per hit instead of ~0.5): on our hosts
 * children forked by a process exec'd after the uprobe was attached (a
 * hybrid coordinator's workers) died of SIGSEGV at the optimised site.
 * Untraced, a probe is that nop and a few register moves.
 *
 *	swarm:publish(hfd, end, frames)  frames are visible in the inbox
 *	                                 whose header file is fd hfd, up to
 *	                                 bus position end
 *	swarm:consume(hfd, pos)          one frame read; pos is the
 *	                                 position after it */
#ifndef SWARM_PROBE_H
#define SWARM_PROBE_H

#include <stdint.h>

#if defined(__x86_64__) && !defined(SWARM_NO_PROBES)

#define SWARM_PROBE_NOTE_(name, args)                                          \
	"990:	nop\n"                          \
	"	.pushsection .note.stapsdt, \"?\", \"note\"\n"                 \
	"	.balign 4\n"                                                   \
	"	.4byte 992f-991f, 994f-993f, 3\n"                              \
	"991:	.asciz \"stapsdt\"\n"                                          \
	"992:	.balign 4\n"                                                   \
	"993:	.8byte 990b\n"                                                 \
	"	.8byte _.stapsdt.base\n"                                       \
	"	.8byte 0\n"                                                    \
	"	.asciz \"swarm\"\n"                                            \
	"	.asciz \"" #name "\"\n"                                        \
	"	.asciz \"" args "\"\n"                                         \
	"994:	.balign 4\n"                                                   \
	"	.popsection\n"                                                 \
	"	.ifndef _.stapsdt.base\n"                                      \
	"	.pushsection .stapsdt.base, \"aG\", \"progbits\", .stapsdt.base, comdat\n" \
	"	.weak _.stapsdt.base\n"                                        \
	"	.hidden _.stapsdt.base\n"                                      \
	"_.stapsdt.base: .space 1\n"                                           \
	"	.size _.stapsdt.base, 1\n"                                     \
	"	.popsection\n"                                                 \
	"	.endif\n"

/* x1.. are the values, pinned to the first three argument registers
 * (rdi, rsi, rdx): the note still spells them out for any USDT tool, and
 * swarm's own program reads them from fixed registers with no argument
 * spec (bpf/latency.bpf.c). a, b, c are the asm operand names (kept
 * apart: a macro argument must not land inside "[a]"). */
#define SWARM_PROBE2(name, x1, x2)                                             \
	__asm__ __volatile__(SWARM_PROBE_NOTE_(name, "-8@%[a] 8@%[b]")         \
			     : : [a] "D"((int64_t)(x1)), [b] "S"((uint64_t)(x2)))
#define SWARM_PROBE3(name, x1, x2, x3)                                         \
	__asm__ __volatile__(SWARM_PROBE_NOTE_(name, "-8@%[a] 8@%[b] 8@%[c]")  \
			     : : [a] "D"((int64_t)(x1)), [b] "S"((uint64_t)(x2)), \
			       [c] "d"((uint64_t)(x3)))
#else
#define SWARM_PROBE2(name, x1, x2) ((void)(x1), (void)(x2))
#define SWARM_PROBE3(name, x1, x2, x3) ((void)(x1), (void)(x2), (void)(x3))
#endif

#endif
