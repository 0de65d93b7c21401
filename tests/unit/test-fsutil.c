/*
 * test-fsutil.c - crash-safe writes and untrusted names.
 *
 * write(), fsync() and renameat() are wrapped (-Wl,--wrap) so a test can make them fail at a
 * chosen call and check that no partial file is left and the old content survives.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/fsutil.h"

ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
int __real_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);
int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);

static int fail_write_errno; /* non-zero: the next write fails with it */
static int short_writes;     /* write at most 3 bytes per call */
static int fail_fsync_errno;
static int fsyncs_seen;       /* fsync calls since reset */
static int fail_rename_errno; /* non-zero: renameat fails with it */
static int renames_seen;      /* renameat calls since reset */
static int content_at_rename; /* size of the temp file when rename was called */

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    if (fail_write_errno != 0) {
        errno = fail_write_errno;
        return -1;
    }
    if (short_writes && n > 3)
        n = 3;
    return __real_write(fd, buf, n);
}

int __wrap_fsync(int fd)
{
    fsyncs_seen++;
    if (fail_fsync_errno != 0) {
        errno = fail_fsync_errno;
        return -1;
    }
    return __real_fsync(fd);
}

int __wrap_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    struct stat st;

    renames_seen++;
    if (fstatat(olddirfd, oldpath, &st, 0) == 0)
        content_at_rename = (int)st.st_size;
    if (fail_rename_errno != 0) {
        errno = fail_rename_errno;
        return -1;
    }
    return __real_renameat(olddirfd, oldpath, newdirfd, newpath);
}

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/cg-test-fs.XXXXXX");
    assert_non_null(mkdtemp(dir));
    fail_write_errno = 0;
    fail_fsync_errno = 0;
    fail_rename_errno = 0;
    short_writes = 0;
    renames_seen = 0;
    fsyncs_seen = 0;
    content_at_rename = -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    fail_write_errno = 0;
    fail_fsync_errno = 0;
    fail_rename_errno = 0;
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int count_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    }
    closedir(d);
    return n;
}

static char *read_all(const char *name)
{
    struct cg_buf b;
    struct cg_err err;
    char *path = cg_fs_join(dir, name);

    cg_buf_init(&b, 1 << 20);
    assert_int_equal(cg_fs_read(path, 1 << 20, &b, &err), CG_OK);
    free(path);
    return cg_buf_take(&b);
}

static void test_write_complete_before_rename(void **state)
{
    static const char text[] = "a complete file written in small pieces";
    struct cg_err err;
    char *got;

    short_writes = 1;
    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", text, strlen(text), &err), CG_OK);
    assert_int_equal(renames_seen, 1);
    /* The rename saw the whole content already in the temporary file. */
    assert_int_equal(content_at_rename, (int)strlen(text));
    got = read_all("out.xml");
    assert_string_equal(got, text);
    free(got);
    assert_int_equal(count_entries(), 1);
}

static void test_write_failure_leaves_nothing(void **state)
{
    struct cg_err err;

    fail_write_errno = ENOSPC;
    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", "data", 4, &err), CG_EIO);
    assert_non_null(strstr(err.msg, "write failed"));
    assert_int_equal(renames_seen, 0);
    assert_int_equal(count_entries(), 0);
}

static void test_fsync_failure_keeps_old(void **state)
{
    struct cg_err err;
    char *got;

    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", "old", 3, &err), CG_OK);
    renames_seen = 0;
    fail_fsync_errno = EIO;
    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", "new content", 11, &err), CG_EIO);
    assert_non_null(strstr(err.msg, "fsync failed"));
    fail_fsync_errno = 0;
    assert_int_equal(renames_seen, 0);
    got = read_all("out.xml");
    assert_string_equal(got, "old");
    free(got);
    assert_int_equal(count_entries(), 1); /* no temporary file left behind */
}

static void test_rename_failure_keeps_old(void **state)
{
    struct cg_err err;
    char *got;

    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", "old", 3, &err), CG_OK);
    renames_seen = 0;
    fail_rename_errno = ENOSPC;
    assert_int_equal(cg_fs_write_atomic(dir, "out.xml", "new content", 11, &err), CG_EIO);
    assert_string_equal(err.msg, "out.xml: rename failed: No space left on device");
    fail_rename_errno = 0;
    assert_int_equal(renames_seen, 1);
    assert_int_equal(content_at_rename, 11); /* it was the complete new file that stayed put */
    got = read_all("out.xml");
    assert_string_equal(got, "old");
    free(got);
    assert_int_equal(count_entries(), 1); /* the temporary file is removed */
}

static void test_names(void **state)
{
    char longname[CG_FS_NAME_MAX + 2];

    assert_true(cg_fs_name_ok("orders.csv"));
    assert_true(cg_fs_name_ok("CEB303Message_1234.xml"));
    assert_true(cg_fs_name_ok("订单.csv"));
    assert_false(cg_fs_name_ok(""));
    assert_false(cg_fs_name_ok(NULL));
    assert_false(cg_fs_name_ok("."));
    assert_false(cg_fs_name_ok(".."));
    assert_false(cg_fs_name_ok("../etc/passwd"));
    assert_false(cg_fs_name_ok("a/b"));
    assert_false(cg_fs_name_ok("/abs"));
    assert_false(cg_fs_name_ok(".hidden"));
    assert_false(cg_fs_name_ok("bad\nname"));
    assert_false(cg_fs_name_ok("back\\slash"));
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_false(cg_fs_name_ok(longname));
    longname[CG_FS_NAME_MAX] = '\0';
    assert_true(cg_fs_name_ok(longname));
}

static void test_unsafe_name_refused(void **state)
{
    struct cg_err err;

    assert_int_equal(cg_fs_write_atomic(dir, "../escape", "x", 1, &err), CG_EINVAL);
    assert_int_equal(count_entries(), 0);
}

static void test_move_no_replace(void **state)
{
    struct cg_err err;
    int dfd;
    char *got;

    assert_int_equal(cg_fs_write_atomic(dir, "a", "A", 1, &err), CG_OK);
    assert_int_equal(cg_fs_write_atomic(dir, "b", "B", 1, &err), CG_OK);
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(cg_fs_move_at(dfd, "a", dfd, "b", &err), CG_EEXIST);
    got = read_all("b");
    assert_string_equal(got, "B");
    free(got);
    assert_int_equal(cg_fs_move_at(dfd, "a", dfd, "c", &err), CG_OK);
    assert_int_equal(cg_fs_move_at(dfd, "a", dfd, "d", &err), CG_ENOTFOUND);
    got = read_all("c");
    assert_string_equal(got, "A");
    free(got);
    close(dfd);
}

/* Many files made durable together: the temporary file holds the data, nothing is fsync'ed,
 * the name is not there until the caller renames it; moves without the directory fsyncs. */
static void test_temp_and_unsynced_move(void **state)
{
    struct cg_err err;
    char tmp[CG_FS_TMP_MAX];
    char used[CG_FS_NAME_MAX + 16];
    char *got;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);

    assert_true(dfd >= 0);
    assert_int_equal(cg_fs_write_temp_at(dfd, "r.xml", "RECEIPT", 7, tmp, sizeof(tmp), &err),
                     CG_OK);
    assert_int_equal(strncmp(tmp, ".r.xml.tmp.", 11), 0);
    assert_int_equal(fsyncs_seen, 0);
    assert_int_equal(renames_seen, 0);
    assert_int_equal(count_entries(), 1);
    got = read_all(tmp);
    assert_string_equal(got, "RECEIPT");
    free(got);
    assert_int_equal(cg_fs_write_temp_at(dfd, "../x", "X", 1, tmp, sizeof(tmp), &err), CG_EINVAL);
    assert_int_equal(count_entries(), 1);

    assert_int_equal(cg_fs_write_atomic(dir, "a", "A", 1, &err), CG_OK);
    assert_int_equal(cg_fs_write_atomic(dir, "b", "B", 1, &err), CG_OK);
    fsyncs_seen = 0;
    assert_int_equal(cg_fs_move_unique_unsynced_at(dfd, "a", dfd, "b", used, sizeof(used), &err),
                     CG_OK);
    assert_string_equal(used, "b.1");
    assert_int_equal(fsyncs_seen, 0);
    got = read_all("b.1");
    assert_string_equal(got, "A");
    free(got);
    assert_int_equal(cg_fs_move_unique_unsynced_at(dfd, "a", dfd, "c", used, sizeof(used), &err),
                     CG_ENOTFOUND);
    close(dfd);
}

static void test_read_refuses_symlink_and_big(void **state)
{
    struct cg_err err;
    struct cg_buf b;
    char *target = cg_fs_join(dir, "real");
    char *link = cg_fs_join(dir, "link");
    int dfd;

    assert_int_equal(cg_fs_write_atomic(dir, "real", "0123456789", 10, &err), CG_OK);
    assert_int_equal(symlink(target, link), 0);
    dfd = open(dir, O_RDONLY | O_DIRECTORY);
    cg_buf_init(&b, 100);
    assert_int_equal(cg_fs_read_at(dfd, "link", 100, &b, &err), CG_EREJECT);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(cg_fs_read_at(dfd, "real", 5, &b, &err), CG_ERANGE);
    assert_int_equal(cg_fs_read_at(dfd, "real", 100, &b, &err), CG_OK);
    assert_int_equal(b.len, 10);
    cg_buf_free(&b);
    /* The head of a file: at most n bytes, a longer file is no error, links still refused. */
    cg_buf_init(&b, 100);
    assert_int_equal(cg_fs_read_head_at(dfd, "real", 4, &b, &err), CG_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "0123", 4);
    assert_int_equal(cg_fs_read_head_at(dfd, "real", 50, &b, &err), CG_OK);
    assert_int_equal(b.len, 14);
    assert_memory_equal(b.data + 4, "0123456789", 10);
    assert_int_equal(cg_fs_read_head_at(dfd, "link", 50, &b, &err), CG_EREJECT);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(cg_fs_read_head_at(dfd, ".", 50, &b, &err), CG_EREJECT);
    assert_int_equal(cg_fs_read_head_at(dfd, "none", 50, &b, &err), CG_ENOTFOUND);
    assert_int_equal(b.len, 14);
    cg_buf_free(&b);
    close(dfd);
    free(target);
    free(link);
}

static void test_buf_ceiling(void **state)
{
    struct cg_buf b;

    cg_buf_init(&b, 8);
    assert_int_equal(cg_buf_adds(&b, "12345"), CG_OK);
    assert_int_equal(cg_buf_adds(&b, "6789"), CG_ENOMEM);
    assert_string_equal(cg_buf_str(&b), "12345"); /* unchanged by the refused append */
    assert_int_equal(cg_buf_addf(&b, "%d", 678), CG_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(cg_buf_addc(&b, 'x'), CG_ENOMEM);
    cg_buf_free(&b);
}

static void test_err_prefix_cut(void **state)
{
    struct cg_err err;
    char big[CG_ERR_MSG_MAX];
    size_t n = sizeof(err.msg);

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CG_ERR_SET(&err, CG_EIO, "%s", "disk full");
    cg_err_prefix(&err, "%s:%d", "orders.csv", 7);
    assert_string_equal(err.msg, "orders.csv:7: disk full");
    CG_ERR_SET(&err, CG_EIO, "%s", big);
    cg_err_prefix(&err, "%s", "orders.csv");
    /* Cut to the buffer: the prefix, then as much as fits, ending in "...". */
    assert_int_equal(strlen(err.msg), n - 1);
    assert_memory_equal(err.msg, "orders.csv: xxx", 15);
    assert_string_equal(err.msg + n - 4, "...");
}

static void test_sha256(void **state)
{
    char hex[65];

    cg_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_complete_before_rename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_failure_keeps_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_failure_keeps_old, setup, teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup_teardown(test_unsafe_name_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_no_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temp_and_unsynced_move, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_refuses_symlink_and_big, setup, teardown),
        cmocka_unit_test(test_buf_ceiling),
        cmocka_unit_test(test_err_prefix_cut),
        cmocka_unit_test(test_sha256),
    };
    return cmocka_run_group_tests_name("fsutil", tests, NULL, NULL);
}
