/* train/run_dir.h: the run directory rule. */
#include "train/run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "util/status.h"

/* Whether the folder has entries, and whether one is clnet's regular .lock file. */
static int scan(const char *dir, bool *empty, bool *ours)
{
    DIR *d = opendir(dir);
    if (!d)
        return clnet_errorf(CLNET_ERR_USAGE, "%s: cannot read the run folder: %s", dir,
                            strerror(errno));
    *empty = true;
    *ours = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        *empty = false;
        if (strcmp(e->d_name, ".lock") == 0) {
            struct stat st;
            char path[4200];
            snprintf(path, sizeof path, "%s/.lock", dir);
            *ours = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
        }
    }
    closedir(d);
    return CLNET_OK;
}

int run_dir_check(const char *dir, bool explicit)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? CLNET_OK
                               : clnet_errorf(CLNET_ERR_USAGE, "%s: cannot use as the run folder: "
                                              "%s", dir, strerror(errno));
    if (S_ISLNK(st.st_mode) && !explicit)
        return clnet_errorf(CLNET_ERR_USAGE, "%s: is a symbolic link, not a run folder of "
                            "clnet's (remove it, or name a folder with --out)", dir);
    if (S_ISLNK(st.st_mode) && stat(dir, &st) != 0)
        return clnet_errorf(CLNET_ERR_USAGE, "%s: a symbolic link to nothing usable: %s", dir,
                            strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return clnet_errorf(CLNET_ERR_USAGE, "%s: exists and is %s, not a run folder", dir,
                            fs_kind_name(st.st_mode));
    bool empty, ours;
    int status = scan(dir, &empty, &ours);
    if (status == CLNET_OK && !empty && !ours)
        status = clnet_errorf(CLNET_ERR_USAGE, "%s: holds files that are not a clnet run (no "
                              ".lock of clnet's); train into a new or empty folder", dir);
    return status;
}
