/*
 * no-fd.h - for tests: leave the process no file descriptor to open, so that the next open
 * fails with EMFILE, as it does on a machine whose process limit is reached.
 */
#ifndef CG_TESTS_NO_FD_H
#define CG_TESTS_NO_FD_H

#include <sys/resource.h>
#include <unistd.h>

/* Lower RLIMIT_NOFILE to the lowest free descriptor; the old limit goes to *saved. 0 on
 * success. Undo with setrlimit(RLIMIT_NOFILE, saved). */
static inline int cg_test_no_fd_left(struct rlimit *saved)
{
    struct rlimit low;
    int next = dup(0);

    if (next < 0)
        return -1;
    close(next);
    if (getrlimit(RLIMIT_NOFILE, saved) != 0)
        return -1;
    low = *saved;
    low.rlim_cur = (rlim_t)next;
    return setrlimit(RLIMIT_NOFILE, &low);
}

#endif
