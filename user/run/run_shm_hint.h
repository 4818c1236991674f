/* One line on stderr after a run whose bus filesystem filled up: the
 * per-task failures say "no space left on the bus filesystem" each, but
 * not where the bus lived, how big it was, or what to do (in a container
 * the 64 MB /dev/shm is the usual cause). */
#ifndef SWARM_RUN_SHM_HINT_H
#define SWARM_RUN_SHM_HINT_H

#include <stdio.h>

#include "report.h"

/* Failures of r that were a full bus filesystem (pure; for the tests). */
size_t run_shm_full_count(const struct run_report *r);
/* Print the hint when run_shm_full_count() > 0; nothing otherwise. */
void run_shm_hint(FILE *f, const struct run_report *r);

/* The one-line message for a run that could not start because the bus
 * filesystem is full (a hybrid master writes every task up front). */
void run_shm_setup_fail(FILE *f, const char *what, const struct run_report *r);

#endif
