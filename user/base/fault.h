/* Fault injection for the crash campaign: SWARM_FAULT=<step>:<n>[:<agents>]
 * makes the process SIGKILL itself at the n-th time it reaches
 * FAULT_POINT(step). With <agents> (a comma-separated list of bus names)
 * only a process whose SWARM_AGENT is one of them arms the fault: every
 * process of a swarm inherits the variable, and a campaign must be able to
 * kill coordinator c2 without killing its replacement c2r1 too.
 * Before dying the process writes one line to stderr ("swarm: fault
 * injection: SIGKILL at <step> #<n>") so a campaign can count its kills
 * from logs.
 * Steps: bus: send-lock send-write send-publish send-unlock recv-read
 * recv-commit recv-dedup rollover-unlink; hybrid coordinator bookkeeping:
 * coord-result (a worker's answer read, not yet forwarded), coord-forward
 * (forwarded to the master, not yet committed from our inbox),
 * coord-journal (a worker's next task journaled, not yet sent),
 * coord-dispatch (the task sent, before the worker is marked busy).
 * Costs one compare when the variable is unset. */
#ifndef SWARM_FAULT_H
#define SWARM_FAULT_H

void fault_point(const char *step);
#define FAULT_POINT(step) fault_point(step)

#endif
