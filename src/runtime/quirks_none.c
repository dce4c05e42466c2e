/* No device quirks (meson setup -Dpocl_quirks=false): every hook of runtime/quirks.h does
 * nothing, so clnet runs on every driver by the OpenCL standard alone. Slower on PoCL's CPU
 * device (no spinning waits, PoCL's default workers, no compile helper, clnet's binary cache
 * asked of PoCL), the same results. */
#include "runtime/quirks.h"

#include <errno.h>

const bool quirks_built = false;

void quirks_configure(const struct clnet_options *o)
{
    (void)o;
}

int quirks_before_open(double step_flops)
{
    (void)step_flops;
    return 0;
}

long quirks_device_opened(const struct runtime_device_info *d)
{
    (void)d;
    return 0;
}

bool quirks_driver_caches_programs(const struct runtime_device_info *d)
{
    (void)d;
    return false;
}

bool quirks_compiles_at_launch(const struct runtime_device_info *d)
{
    (void)d;
    return false;
}

const char *quirks_no_device_hint(char *buf, size_t size)
{
    (void)buf;
    (void)size;
    return "";
}

uint64_t quirks_cache_key(uint64_t h)
{
    return h;
}

struct quirks_wait_counts quirks_wait_counts(void)
{
    return (struct quirks_wait_counts){0, 0};
}

bool quirks_helper_wanted(void)
{
    return false;
}

pid_t quirks_helper_start(const char *const *argv)
{
    (void)argv;
    errno = ENOSYS;
    return -1;
}

bool quirks_helper_tie(pid_t parent)
{
    (void)parent;
    return false;
}

enum quirks_helper_end quirks_helper_stop(pid_t pid)
{
    (void)pid;
    return QUIRKS_HELPER_NONE;
}
