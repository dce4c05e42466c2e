/* Clean interruption (see interrupt.h). */
#define _GNU_SOURCE
#include "util/interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t received, immediate;

/* Temporary files being written (fs_atomic_open's, a plot's), for the handler to remove when
 * it ends the process: a slot is taken with a compare-and-swap, its path written, then marked
 * ready, so the handler only reads complete paths. */
#define TEMP_SLOTS 8
#define TEMP_PATH 4096
static char temp_path[TEMP_SLOTS][TEMP_PATH];
static int temp_state[TEMP_SLOTS]; /* 0 free, 1 being filled, 2 ready */

static void write_str(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t k = write(STDERR_FILENO, s, n);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

static void on_signal(int sig)
{
    received = sig;
    if (!immediate)
        return;
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (__atomic_load_n(&temp_state[i], __ATOMIC_ACQUIRE) == 2)
            unlink(temp_path[i]);
    write_str(sig == SIGTERM ? "clnet: stopped by SIGTERM" : "clnet: stopped by SIGINT");
    write_str(" before the first step finished; nothing to keep (the same command starts "
              "again)\n");
    _exit(128 + sig);
}

void interrupt_install(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
}

void interrupt_set_immediate(bool on)
{
    immediate = on;
    if (on && received) /* a signal that came before: honour it now */
        on_signal(received);
}

int interrupt_requested(void)
{
    return received;
}

int interrupt_exit_code(void)
{
    return received == SIGTERM ? 128 + SIGTERM : 128 + SIGINT;
}

const char *interrupt_signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}

int interrupt_temp_add(const char *path)
{
    if (strlen(path) >= TEMP_PATH)
        return -1;
    for (int i = 0; i < TEMP_SLOTS; i++) {
        int free_slot = 0;
        if (__atomic_compare_exchange_n(&temp_state[i], &free_slot, 1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            memcpy(temp_path[i], path, strlen(path) + 1);
            __atomic_store_n(&temp_state[i], 2, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1; /* more at once than slots: the next run in that folder removes it */
}

void interrupt_temp_remove(int slot)
{
    if (slot >= 0 && slot < TEMP_SLOTS)
        __atomic_store_n(&temp_state[slot], 0, __ATOMIC_RELEASE);
}
