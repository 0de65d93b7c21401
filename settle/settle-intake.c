/*
 * settle-intake.c - statements dropped into incoming/ (or incoming/<seller>/), recognised by
 * their content and imported before the spool looks at the folder for order files.
 *
 * A file is a statement when cg_settle_sniff says so (an ISO 20022 namespace, MT940's :20:, the
 * collections CSV header, the payout profile's header); anything else is left where it is for the
 * spool. Names are never trusted as paths: each folder is opened with O_NOFOLLOW and entries are
 * used relative to it; hidden, "*.part" and unsafe names and folders not named by a [seller.NAME]
 * section are left to the spool, which refuses them. The import commits in one transaction
 * before the file is moved to done/<seller>/; after a crash in between, the next run finds the
 * same SHA-256 recorded and only moves the file, so a statement is imported once. A refused
 * statement goes to failed/<seller>/ with NAME.reason. Each outcome is recorded by seller and
 * name (store-intake.h) before the file is moved, so that `cebgate report` lists a refused
 * statement until one of the same name is imported; a crash before the move takes the file
 * again. A temporary failure (disk, database) records nothing, leaves the file in incoming/ and
 * is returned.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "settle/settle-int.h"
#include "store/store-intake.h"

#define STMT_MAX (256u * 1024u * 1024u)
#define SNIFF_MAX 4096u

struct intake {
    struct cg_settle *s;
    const char *workdir;
    cg_settle_intake_fn fn;
    void *ctx;
    struct cg_buf problems;
    struct cg_err *err;
};

static void collect(void *ctx, const char *text)
{
    struct intake *in = ctx;

    cg_buf_addf(&in->problems, "%s\n", text);
    if (in->fn != NULL)
        in->fn(in->ctx, CG_INTAKE_PROBLEM, text, NULL);
}

static int open_dir(const char *workdir, const char *top, const char *seller, int create, int *fd,
                    struct cg_err *err)
{
    char *base = cg_fs_join(workdir, top);
    char *path = base != NULL && seller[0] ? cg_fs_join(base, seller) : NULL;
    const char *p = seller[0] ? path : base;
    int rc = CG_OK;

    if (p == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    if (create && (rc = cg_fs_mkdir_p(p, 0750, err)) != CG_OK)
        goto done;
    *fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0)
        rc = errno == ENOENT ? CG_ENOTFOUND : CG_ERR_SET(err, CG_EIO, "%s: %s", p, strerror(errno));
done:
    free(base);
    free(path);
    return rc;
}

/* Move name from fd into top/<seller>/, under name or name.N when taken. */
static int put_away(struct intake *in, int fd, const char *seller, const char *top,
                    const char *name, const char *reason, struct cg_err *err)
{
    char target[CG_FS_NAME_MAX + 16];
    int to = -1;
    int rc = open_dir(in->workdir, top, seller, 1, &to, err);

    if (rc != CG_OK)
        return rc;
    rc = cg_fs_move_unique_at(fd, name, to, name, target, sizeof(target), err);
    if (rc == CG_OK && reason != NULL) {
        char rname[CG_FS_NAME_MAX + 32];
        snprintf(rname, sizeof(rname), "%s.reason", target);
        rc = cg_fs_write_atomic_at(to, rname, reason, strlen(reason), err);
    }
    close(to);
    return rc;
}

/* What a statement is, in the words of the report's list of files refused whole. */
const char *fx_kind_words(int kind)
{
    switch (kind) {
    case CG_STMT_CAMT053: return "bank statement (camt.053)";
    case CG_STMT_CAMT054: return "bank notification (camt.054)";
    case CG_STMT_MT940: return "bank statement (MT940)";
    case CG_STMT_PAYOUT: return "payout report";
    default: return "collections CSV";
    }
}

static int one_file(struct intake *in, int fd, const char *seller, const char *name,
                    struct cg_err *err)
{
    struct cg_buf b;
    struct cg_settle_import res = {0};
    char shown[2 * CG_FS_NAME_MAX];
    int rc, kind = CG_STMT_NONE;

    snprintf(shown, sizeof(shown), "%s%s%s", seller, seller[0] ? "/" : "", name);
    /* The kind is told by the first SNIFF_MAX bytes: an order file is never read whole here. */
    cg_buf_init(&b, SNIFF_MAX);
    rc = cg_fs_read_head_at(fd, name, SNIFF_MAX, &b, err);
    if (rc != CG_OK || b.len == 0 ||
        (kind = cg_settle_sniff(in->s, b.data, b.len)) == CG_STMT_NONE) {
        cg_err_clear(err);
        rc = CG_OK; /* unreadable or not a statement: the spool's, which says why */
        goto done;
    }
    cg_buf_free(&b);
    cg_buf_init(&b, STMT_MAX);
    rc = cg_fs_read_at(fd, name, STMT_MAX, &b, err);
    if (rc == CG_ERANGE) {
        cg_err_clear(err);
        rc = CG_ERR_SET(err, CG_EREJECT, "%s: a statement of more than %u bytes: split it", shown,
                        STMT_MAX);
    }
    cg_buf_reset(&in->problems);
    if (rc == CG_OK)
        rc = cg_settle_import(in->s, seller, shown, b.data, b.len, collect, in, &res, err);
    if (rc == CG_OK)
        rc = cg_store_intake_file(in->s->db, seller, name, fx_kind_words(kind), NULL, err);
    if (rc == CG_OK) {
        rc = put_away(in, fd, seller, "done", name, NULL, err);
        if (rc == CG_OK && in->fn != NULL)
            in->fn(in->ctx, res.duplicate ? CG_INTAKE_DUPLICATE : CG_INTAKE_DONE, shown, &res);
    } else if (rc == CG_EREJECT) {
        char why[sizeof(err->msg)];
        cg_strlcpy(why, err->msg, sizeof(why));
        cg_buf_addf(&in->problems, "%s\n", why);
        cg_err_clear(err);
        rc = cg_store_intake_file(in->s->db, seller, name, fx_kind_words(kind),
                                  cg_buf_str(&in->problems), err);
        if (rc == CG_OK && in->fn != NULL)
            in->fn(in->ctx, CG_INTAKE_FAILED, why, &res);
        if (rc == CG_OK)
            rc = put_away(in, fd, seller, "failed", name, cg_buf_str(&in->problems), err);
    }
done:
    cg_buf_free(&b);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of one folder, in name order, that are safe, complete and not hidden. */
static int folder(struct intake *in, const char *seller, struct cg_err *err)
{
    int fd = -1, dfd;
    DIR *d = NULL;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    int rc = open_dir(in->workdir, "incoming", seller, 0, &fd, err);

    if (rc == CG_ENOTFOUND)
        return CG_OK;
    if (rc != CG_OK)
        return rc;
    dfd = dup(fd);
    d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (d == NULL) {
        if (dfd >= 0)
            close(dfd);
        rc = CG_ERR_SET(err, CG_EIO, "incoming/%s: %s", seller, strerror(errno));
        goto done;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        size_t len = strlen(de->d_name);
        char **p;
        if (!cg_fs_name_ok(de->d_name) || (len > 5 && strcmp(de->d_name + len - 5, ".part") == 0))
            continue;
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        p = realloc(names, (n + 1) * sizeof(*p));
        if (p == NULL || (p[n] = cg_strdup(de->d_name)) == NULL) {
            names = p != NULL ? p : names;
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        names = p;
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    for (i = 0; rc == CG_OK && i < n; i++)
        rc = one_file(in, fd, seller, names[i], err);
done:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (d != NULL)
        closedir(d);
    close(fd);
    return rc;
}

static int seller_folder(const char *name, void *ctx)
{
    struct intake *in = ctx;

    if (!cg_fs_name_ok(name))
        return CG_OK;
    return folder(in, name, in->err);
}

int cg_settle_note_imported(struct cg_settle *s, const char *seller, const char *path, int kind,
                            struct cg_err *err)
{
    const char *name = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;

    if (!cg_fs_name_ok(name))
        return CG_OK; /* no name intake could have refused */
    return cg_store_intake_file(s->db, seller, name, fx_kind_words(kind), NULL, err);
}

int cg_settle_intake(struct cg_settle *s, const char *workdir, cg_settle_intake_fn fn, void *ctx,
                     struct cg_err *err)
{
    struct intake in;
    int rc;

    memset(&in, 0, sizeof(in));
    in.s = s;
    in.workdir = workdir;
    in.fn = fn;
    in.ctx = ctx;
    in.err = err;
    cg_buf_init(&in.problems, 1u << 20);
    /*
     * A payout report is told from an order file by the profile's columns: read it first. An
     * unreadable profile leaves payout reports to the spool, which says the columns are not an
     * order file's (fn is told why, for that reason); the other statements are still taken.
     */
    if (fx_payout_profile_load(s, err) != CG_OK) {
        if (fn != NULL)
            fn(ctx, CG_INTAKE_PROFILE, err->msg, NULL);
        cg_err_clear(err);
    }
    rc = folder(&in, "", err);
    if (rc == CG_OK)
        rc = cg_conf_each_named(s->conf, "seller", seller_folder, &in);
    cg_buf_free(&in.problems);
    return rc;
}
