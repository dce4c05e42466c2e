/* --set overrides applied to a config's node tree (set.c). Internal to src/config/. */
#ifndef CLNET_CONFIG_SET_H
#define CLNET_CONFIG_SET_H

#include "config/node.h"

/* Applies arg ("key.path=value") to root, following the schema: the value's nodes, and any
 * made on the way, come from arena and name label ("--set ARG", kept alive by the caller) as
 * their file. CLNET_ERR_CONFIG with "LABEL: what" for a path or value the schema refuses. */
int set_apply(struct arena *arena, struct node *root, const char *label, const char *arg);

#endif
