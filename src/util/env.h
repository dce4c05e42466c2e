/* The environment variables clnet reads, in one table: each is checked once at start-up
 * (env_validate: a bad value is CLNET_ERR_USAGE naming it, exit 2) and listed by `clnet help`
 * (env_print). The code that uses a variable still reads it where it is used. */
#ifndef CLNET_UTIL_ENV_H
#define CLNET_UTIL_ENV_H

#include <stdio.h>

/* Every variable of the table that is set must hold a value of its kind; POCL_MAX_PTHREAD_COUNT
 * too (clnet reads and sets it; PoCL 3.1 crashes on a negative one). */
int env_validate(void);

/* The table, one line a variable, indented by two spaces. */
void env_print(FILE *f);

#endif
