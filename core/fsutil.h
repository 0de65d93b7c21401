/*
 * fsutil.h - crash-safe file operations and untrusted-name checks.
 *
 * Every file cebgate creates for others to read is written to a temporary name in the target
 * directory, fsync'ed, renamed into place and the directory fsync'ed, so a reader (or a crash)
 * sees either nothing or the whole file. Names from the spool are checked with
 * cg_fs_name_ok() and used only relative to an open directory descriptor, with O_NOFOLLOW.
 */
#ifndef CG_FSUTIL_H
#define CG_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

#define CG_FS_NAME_MAX 200

/*
 * True when name is safe to use inside one directory: 1..CG_FS_NAME_MAX bytes, no '/', not
 * "." or "..", no leading '.', no control characters, valid as given (no path parts).
 */
bool cg_fs_name_ok(const char *name);

/* Write data to dirfd/name atomically (temp + fsync + rename + fsync dir). Replaces name. */
int cg_fs_write_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                          struct cg_err *err);
/*
 * The first half of it, for many files made durable together: write data to a new hidden
 * temporary file in dirfd (".NAME.tmp.PID.N", never read by the spool), without fsync; its name
 * goes to tmp (CG_FS_TMP_MAX bytes). The caller makes it durable (syncfs() or fsync), renames it
 * to name and fsyncs dirfd, or removes it: no reader ever sees a partial file under name, even
 * after a crash.
 */
#define CG_FS_TMP_MAX (CG_FS_NAME_MAX + 32)
int cg_fs_write_temp_at(int dirfd, const char *name, const void *data, size_t len, char *tmp,
                        size_t tmpsz, struct cg_err *err);
/* Same as cg_fs_write_atomic_at, with a directory path. */
int cg_fs_write_atomic(const char *dir, const char *name, const void *data, size_t len,
                       struct cg_err *err);
/*
 * Move from_dirfd/name to to_dirfd/newname without replacing an existing target
 * (CG_EEXIST), then fsync both directories.
 */
int cg_fs_move_at(int from_dirfd, const char *name, int to_dirfd, const char *newname,
                  struct cg_err *err);
/*
 * Same, to to_dirfd/base or, when taken, the first free base.1, base.2, ...: a file is never
 * replaced and never left behind because one of its name is there already. The name used goes
 * to out (may be NULL).
 */
int cg_fs_move_unique_at(int from_dirfd, const char *name, int to_dirfd, const char *base,
                         char *out, size_t outsz, struct cg_err *err);
/*
 * cg_fs_move_unique_at without the fsync of either directory: the caller fsyncs the target, then
 * the source, once for many moves, before anything depends on them.
 */
int cg_fs_move_unique_unsynced_at(int from_dirfd, const char *name, int to_dirfd, const char *base,
                                  char *out, size_t outsz, struct cg_err *err);
int cg_fs_fsync_dir_at(int dirfd, struct cg_err *err);
/* Read a regular file (no symlink followed) of at most max bytes into b (appended). */
int cg_fs_read_at(int dirfd, const char *name, size_t max, struct cg_buf *b, struct cg_err *err);
int cg_fs_read(const char *path, size_t max, struct cg_buf *b, struct cg_err *err);
/*
 * Read at most the first n bytes of a regular file (no symlink followed) into b (appended);
 * a longer file is not an error. For telling kinds of files apart by their first line or
 * root element without reading a large order file whole.
 */
int cg_fs_read_head_at(int dirfd, const char *name, size_t n, struct cg_buf *b, struct cg_err *err);
/* mkdir -p with mode; existing directories are fine. */
int cg_fs_mkdir_p(const char *path, mode_t mode, struct cg_err *err);
/* Join dir and name into a new string (caller frees); NULL on allocation failure. */
char *cg_fs_join(const char *dir, const char *name);
/* Lower-case hex SHA-256 of data into out (65 bytes). */
void cg_sha256_hex(const void *data, size_t len, char out[65]);

#endif
