/*
 * Kernel tracing for `swarm run`: opens the tracer (user/trace/trace.h) on the
 * master's process tree before the swarm starts, feeds it from the master's
 * loop (struct run_hooks), names agents by pid for the fd report, and fills
 * the report's `kernel` section (struct report_kernel).
 *
 * Never fatal: without privileges, BTF or the hooks the run goes on
 * untraced and one line on stderr says which signals are off and why.
 * The tracer's own attach time is measured (kernel.attach_s) and happens
 * before the coordinator's clock starts; detaching happens after the
 * report is printed, so coordination_s measures the swarm only.
 */
#ifndef SWARM_RUN_TRACE_H
#define SWARM_RUN_TRACE_H

#include <stdio.h>

#include "coord.h"
#include "report.h"

struct run_trace;
struct timeline;

/* off: NULL to trace, else the reason it is off (--no-trace; nothing is
 * loaded and nothing printed). agent_depth: 1 flat, 2 hybrid (the
 * generation below the master that the agents are). err is where the one
 * line goes (stderr). tl (or NULL): the run's --timeline, which then also
 * gets every exit and every lock wait of TL_LOCK_MIN_NS or more.
 * -ENOMEM is the only error. */
int run_trace_start(struct run_trace **out, const char *off, int agent_depth,
		    struct timeline *tl, FILE *err);
/* Hand what the ring still holds to the timeline (before writing it). */
void run_trace_drain(struct run_trace *rt);
const struct report_kernel *run_trace_kernel(struct run_trace *rt);
/* NULL when tracing is off. */
const struct run_hooks *run_trace_hooks(struct run_trace *rt);
/* Detach and free (after the report is printed). */
void run_trace_stop(struct run_trace *rt);

#endif
