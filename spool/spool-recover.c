/*
 * spool-recover.c - finish what a crash left, before anything new is taken.
 *
 * Invariants kept by the writer (spool-file.c): a message file is complete on disk in tmp/
 * before its row is committed (staged = 1), and it appears in outbox/ only after the commit.
 * So on start, for every staged row:
 *   file in outbox/ or archive/   -> the publish step was done: clear staged;
 *   file in tmp/                  -> finish it: rename into outbox/, clear staged;
 *   file nowhere (disk lost it)   -> no one ever saw that guid: the message row is dropped and
 *                                    the document goes back to its previous version (or away),
 *                                    and the order's hash is cleared so the input file, still
 *                                    in active/, declares it again when it is resumed.
 * Every file left in tmp/ after that belongs to an uncommitted batch and is removed; those
 * orders are not recorded and are declared when their file is resumed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"

struct staged {
    sqlite3_int64 id, doc;
    int version;
    char *name;
    int action; /* 0 clear, 1 lost */
};

struct rec_ctx {
    struct staged *v;
    size_t n;
};

static int rec_tx(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct rec_ctx *c = vctx;
    sqlite3 *h = cg_db_handle(db);
    size_t i;
    int r = SQLITE_OK;
    char sql[1024];

    for (i = 0; i < c->n; i++) {
        struct staged *s = &c->v[i];
        if (s->action == 0) {
            snprintf(sql, sizeof(sql), "UPDATE messages SET staged = 0 WHERE id = %lld",
                     (long long)s->id);
            r = sqlite3_exec(h, sql, NULL, NULL, NULL);
        } else {
            /* Back to the previous version of the document, or no document at all. */
            snprintf(sql, sizeof(sql),
                     "DELETE FROM messages WHERE id = %lld;"
                     "UPDATE orders SET hash = '' WHERE id = (SELECT order_id FROM documents "
                     "WHERE id = %lld);"
                     "UPDATE documents SET (version, guid, app_type, state, content_hash) = "
                     "(SELECT m.version, m.guid, m.app_type, m.state, '' FROM messages m "
                     "WHERE m.document_id = %lld ORDER BY m.version DESC LIMIT 1) "
                     "WHERE id = %lld AND version = %d AND EXISTS (SELECT 1 FROM messages "
                     "WHERE document_id = %lld);"
                     "DELETE FROM documents WHERE id = %lld AND NOT EXISTS (SELECT 1 FROM "
                     "messages WHERE document_id = %lld);",
                     (long long)s->id, (long long)s->doc, (long long)s->doc, (long long)s->doc,
                     s->version, (long long)s->doc, (long long)s->doc, (long long)s->doc);
            r = sqlite3_exec(h, sql, NULL, NULL, NULL);
        }
        if (r != SQLITE_OK)
            return cg_db_fail(db, r, "recovery", err);
    }
    return CG_OK;
}

static bool exists_in(int dfd, const char *name)
{
    return faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void clean_tmp(struct cg_spool *sp)
{
    int fd = openat(sp->dfd[D_TMP], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    long n = 0;

    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (unlinkat(sp->dfd[D_TMP], de->d_name, 0) == 0)
            n++;
    }
    closedir(d);
    if (n > 0) {
        cg_info("tmp/: removed %ld message files of an unfinished unit of work", n);
        fsync(sp->dfd[D_TMP]);
    }
}

int spool_recover(struct cg_spool *sp, struct cg_err *err)
{
    struct rec_ctx c;
    sqlite3_stmt *st = NULL;
    size_t cap = 0, i;
    long moved = 0, lost = 0;
    int r;
    int rc = CG_OK;

    memset(&c, 0, sizeof(c));
    r = sqlite3_prepare_v2(cg_db_handle(sp->db),
                           "SELECT id, document_id, version, file_name FROM messages "
                           "WHERE staged = 1",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(sp->db, r, "recovery", err);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (c.n == cap) {
            struct staged *g = realloc(c.v, (cap ? cap * 2 : 256) * sizeof(*g));
            if (g == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                goto done;
            }
            c.v = g;
            cap = cap ? cap * 2 : 256;
        }
        memset(&c.v[c.n], 0, sizeof(c.v[0]));
        c.v[c.n].id = sqlite3_column_int64(st, 0);
        c.v[c.n].doc = sqlite3_column_int64(st, 1);
        c.v[c.n].version = sqlite3_column_int(st, 2);
        c.v[c.n].name = cg_strdup((const char *)sqlite3_column_text(st, 3));
        c.n++;
    }
    sqlite3_finalize(st);
    st = NULL;
    for (i = 0; i < c.n; i++) {
        struct staged *s = &c.v[i];
        if (s->name == NULL || !cg_fs_name_ok(s->name)) {
            s->action = 1;
        } else if (exists_in(sp->dfd[D_OUTBOX], s->name) ||
                   exists_in(sp->dfd[D_ARCHIVE], s->name)) {
            s->action = 0;
        } else if (exists_in(sp->dfd[D_TMP], s->name)) {
            if (renameat(sp->dfd[D_TMP], s->name, sp->dfd[D_OUTBOX], s->name) != 0) {
                rc = CG_ERR_SET(err, CG_EIO, "recovery: tmp/%s to outbox/: %s", s->name,
                                strerror(errno));
                goto done;
            }
            moved++;
        } else {
            cg_warn("recovery: message file %s was recorded but is gone: its order is "
                    "declared again with a new guid",
                    s->name);
            s->action = 1;
            lost++;
        }
    }
    if (c.n > 0) {
        rc = cg_fs_fsync_dir_at(sp->dfd[D_OUTBOX], err);
        if (rc != CG_OK)
            goto done;
        rc = cg_db_tx(sp->db, rec_tx, &c, err);
        if (rc != CG_OK)
            goto done;
    }
    clean_tmp(sp);
    sp->st.recovered += moved + lost;
    if (moved + lost > 0)
        cg_info("recovery: %ld message files finished, %ld to be declared again", moved, lost);
done:
    sqlite3_finalize(st);
    for (i = 0; i < c.n; i++)
        free(c.v[i].name);
    free(c.v);
    return rc;
}
