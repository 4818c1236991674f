/* Fault injection for the crash campaign: SWARM_FAULT=<step>:<n> makes the
 * process SIGKILL itself at the n-th time it reaches FAULT_POINT(step).
 * Steps: send-lock send-write send-publish send-unlock recv-read
 * recv-commit recv-dedup rollover-unlink coord-result. Costs one compare
 * when the variable is unset. */
#ifndef SWARM_FAULT_H
#define SWARM_FAULT_H

void fault_point(const char *step);
#define FAULT_POINT(step) fault_point(step)

#endif
