/*
 * Replacement strings of plain commands, as GNU parallel spells them:
 *
 *   {}    the task (its columns joined by one space)
 *   {.}   without its extension        a/b.tar.gz -> a/b.tar
 *   {/}   basename                      a/b.c -> b.c
 *   {//}  dirname (POSIX dirname(3))    a/b.c -> a, b.c -> .
 *   {/.}  basename without extension    a/b.c -> b
 *   {#}   the task's number (1-based, its place in the input)
 *   {%}   the slot running it (1..-j)
 *   {N} {N.} {N/} {N//} {N/.}   column N (--colsep, or one per ::: source)
 *
 * A value is always data: it is put inside the argument that holds the
 * string and never split, globbed or parsed. Where CMD is itself a shell
 * (sh, bash, dash, zsh, ksh, ...) its -c script gets the value single-quoted,
 * so `sh -c 'echo {}'` prints a line `a; touch x` instead of running it;
 * anywhere else (`sh -c 'echo "$1"' _ {}`) the value goes in as it is.
 * Without any replacement string the columns are appended as arguments.
 */
#ifndef SWARM_REPLACE_H
#define SWARM_REPLACE_H

#include <stddef.h>
#include <stdint.h>

struct replace_in {
	const char *const *cols;   /* ncols >= 1 values */
	size_t ncols;
	uint64_t seq;              /* {#} */
	unsigned slot;             /* {%} */
};

/* 1 if any argument holds a replacement string. */
int replace_has(char *const *argv);
/* Index of the -c script in a shell command line, or -1 (CMD is not a
 * shell, or has no -c). */
int replace_shell_script(char *const *argv);
/* The command for one task: a new NULL-terminated argv in one malloc
 * block (free() it). append: add the columns as arguments when argv holds
 * no replacement string. 0, -ENOMEM or -E2BIG. */
int replace_argv(char *const *argv, const struct replace_in *in, int append,
		 char ***out);
/* argv as one shell command line (arguments single-quoted where needed, as
 * GNU parallel --dry-run prints them); malloc'd, NULL on ENOMEM. */
char *replace_cmdline(char *const *argv);

#endif
