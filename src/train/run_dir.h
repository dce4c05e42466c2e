/* Whether a folder may become (or stay) a run directory: the one rule for `clnet train`'s
 * runs/NAME and --out DIR, checked before anything is written. */
#ifndef CLNET_TRAIN_RUN_DIR_H
#define CLNET_TRAIN_RUN_DIR_H

#include <stdbool.h>

/* CLNET_OK when dir does not exist yet (it will be made), is an empty folder, or is a folder
 * clnet made for a run (it holds clnet's regular .lock file, which fs_lock_dir creates before
 * anything else is written there). Anything else is CLNET_ERR_USAGE naming dir: a file that is
 * not a folder, a folder of someone else's files (clnet must never overwrite a file it did not
 * create, such as the user's own config.yaml under `--out .`), or a symbolic link, unless
 * `explicit` (the user named the path with --out: a link they made on purpose is followed; a
 * link planted at runs/NAME is not). */
int run_dir_check(const char *dir, bool explicit);

#endif
