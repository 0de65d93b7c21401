/*
 * spool-core.c - open and close a working directory: folders, lock, database, code tables,
 * sellers, the worker pool; shared helpers for moves, .reason files and progress events.
 *
 * The spool owns everything it opens and frees it in cg_spool_close(); the configuration and
 * the transport are borrowed. Opening fails with CG_EBUSY when another process holds the
 * lock, with the folder or database error otherwise; nothing is printed here (warnings go to
 * the logger).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/text.h"
#include "spool/spool-int.h"

const char *const cg_spool_dir_names[D_N] = {
    "incoming", "active", "done", "failed", "outbox", "inbox", "archive", "tmp",
};

int64_t spool_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void spool_progress(struct cg_spool *sp, bool force)
{
    int64_t now = spool_now_ms();

    sp->st.elapsed_ms = now - sp->st.started_ms;
    if (sp->opts.event == NULL)
        return;
    if (!force && now - sp->last_event_ms < 200)
        return;
    sp->last_event_ms = now;
    sp->opts.event(sp->opts.ctx, CG_SPOOL_EV_PROGRESS, &sp->st, NULL);
}

void spool_event(struct cg_spool *sp, int ev, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    sp->st.elapsed_ms = spool_now_ms() - sp->st.started_ms;
    if (sp->opts.event == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sp->opts.event(sp->opts.ctx, ev, &sp->st, text);
}

/*
 * Copy src into dst (size bytes); when it does not fit, cut at a word (or at least a UTF-8
 * character) boundary and end with "...", so a summary line never shows half a word or half
 * of a Chinese character.
 */
static void cut_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    size_t keep;
    size_t sp;

    if (n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    keep = size - 4;
    while (keep > 0 && ((unsigned char)src[keep] & 0xC0) == 0x80)
        keep--;
    for (sp = keep; sp > 0 && keep - sp < 40; sp--) {
        if (src[sp] == ' ') {
            keep = sp;
            break;
        }
    }
    memcpy(dst, src, keep);
    memcpy(dst + keep, "...", 4);
}

static void group_add(struct cg_spool_group *g, int *n, long *other, const char *key)
{
    int i;

    for (i = 0; i < *n; i++) {
        if (strcmp(g[i].text, key) == 0) {
            g[i].count++;
            return;
        }
    }
    if (*n < CG_SPOOL_REASONS) {
        cg_strlcpy(g[*n].text, key, sizeof(g[0].text));
        g[*n].count = 1;
        (*n)++;
        return;
    }
    (*other)++;
}

void spool_reason_add(struct cg_spool_stats *st, const char *msg)
{
    char kind[1024];
    char key[160];

    cg_spool_reason_kind(msg, kind, sizeof(kind));
    cut_text(key, sizeof(key), kind);
    group_add(st->reasons, &st->nreasons, &st->reasons_other, key);
}

void spool_held_add(struct cg_spool_stats *st, const struct cg_order *o)
{
    char text[512];
    char key[160];

    if (o->status == CG_ORDER_WAIT)
        st->orders_waiting++;
    else if (o->status == CG_ORDER_SKIP)
        st->orders_skipped++;
    else
        st->orders_cancelled++;
    snprintf(text, sizeof(text), "%s: %s", cg_order_status_name(o->status),
             o->status_reason != NULL ? o->status_reason : "");
    cut_text(key, sizeof(key), text);
    group_add(st->held, &st->nheld, &st->held_other, key);
}

void spool_msg_type_name(int msg_type, char *out, size_t size)
{
    snprintf(out, size, "CEB%03dMessage", msg_type);
}

int spool_subdir(struct cg_spool *sp, int which, const char *sub, struct cg_err *err)
{
    int fd;

    if (sub == NULL || sub[0] == '\0') {
        fd = fcntl(sp->dfd[which], F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return CG_ERR_SET(err, CG_EIO, "dup: %s", strerror(errno));
        return fd;
    }
    if (!cg_fs_name_ok(sub))
        return CG_ERR_SET(err, CG_EINVAL, "unsafe folder name '%s'", sub);
    if (mkdirat(sp->dfd[which], sub, 0750) != 0 && errno != EEXIST)
        return CG_ERR_SET(err, CG_EIO, "%s/%s: cannot create: %s", cg_spool_dir_names[which], sub,
                          strerror(errno));
    fd = openat(sp->dfd[which], sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return CG_ERR_SET(err, CG_EIO, "%s/%s: cannot open: %s", cg_spool_dir_names[which], sub,
                          strerror(errno));
    return fd;
}

int spool_move_unique(int fromfd, const char *name, int tofd, char *out, size_t outsz,
                      struct cg_err *err)
{
    return spool_move_unique_as(fromfd, name, tofd, name, out, outsz, err);
}

int spool_move_unique_as(int fromfd, const char *name, int tofd, const char *base, char *out,
                         size_t outsz, struct cg_err *err)
{
    return cg_fs_move_unique_at(fromfd, name, tofd, base, out, outsz, err);
}

int spool_write_reason(struct cg_spool *sp, int subfd, const char *name, const char *reason,
                       struct cg_err *err)
{
    char rname[CG_FS_NAME_MAX + 16];
    struct cg_buf b;
    int rc;

    (void)sp;
    snprintf(rname, sizeof(rname), "%s.reason", name);
    cg_buf_init(&b, 1u << 20);
    rc = cg_buf_addf(&b, "%s\n", reason);
    if (rc == CG_OK)
        rc = cg_fs_write_atomic_at(subfd, rname, b.data, b.len, err);
    else
        rc = CG_ERR_SET(err, rc, "reason text too long");
    cg_buf_free(&b);
    return rc;
}

void spool_drop_stale_reason(struct cg_spool *sp, const char *sub, const char *name)
{
    char rname[CG_FS_NAME_MAX + 16];
    struct stat st;
    int fd = sp->dfd[D_FAILED];

    if (sub == NULL)
        sub = "";
    if (sub[0] != '\0')
        fd = cg_fs_name_ok(sub) ? openat(fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                                : -1;
    if (fd < 0)
        return; /* no failed/<sub>/: nothing left there */
    if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
        snprintf(rname, sizeof(rname), "%s.reason", name);
        char shown[4 * CG_FS_NAME_MAX + 16], rshown[4 * CG_FS_NAME_MAX + 32];

        if (unlinkat(fd, rname, 0) == 0)
            cg_log(CG_LOG_INFO, "failed/%s%s%s: removed, %s was taken again and finished", sub,
                   sub[0] ? "/" : "", cg_text_show(rname, rshown, sizeof(rshown)),
                   cg_text_show(name, shown, sizeof(shown)));
    }
    if (fd != sp->dfd[D_FAILED])
        close(fd);
}

static char *conf_path_or(const struct cg_conf *conf, const char *sec, const char *key,
                          const char *val)
{
    if (val != NULL)
        return cg_strdup(val);
    return cg_conf_get_path(conf, sec, key);
}

static void seller_free(struct spool_seller *s)
{
    if (s == NULL)
        return;
    cg_map_ctx_free(s->map);
    cg_seller_free(s->seller);
    free(s->name);
    free(s->problem);
    free(s->config_hold);
    free(s->key_file);
    free(s->cert_file);
    free(s->pass_file);
    free(s->pass_env);
    free(s->key_name);
    free(s);
}

static int folder_add(const char *name, void *vctx)
{
    struct cg_buf *b = vctx;

    if (b->len < 512 && cg_spool_name_problem(name) == NULL)
        cg_buf_addf(b, "%sincoming/%s/", b->len > 0 ? ", " : "", name);
    return 0;
}

/*
 * Why a seller's configuration cannot be used, naming the seller; for files directly in
 * incoming/, which [seller] alone reads, the sellers' folders where such a file belongs.
 */
static char *seller_problem(const struct cg_conf *conf, const char *name, const char *why)
{
    struct cg_buf folders, out;
    char *r;

    cg_buf_init(&folders, 4096);
    cg_buf_init(&out, 8192);
    if (name[0] != '\0') {
        cg_buf_addf(&out, "seller %s: %s", name, why);
    } else {
        cg_conf_each_named(conf, "seller", folder_add, &folders);
        cg_buf_addf(&out, "%s", why);
        if (folders.len > 0)
            cg_buf_addf(&out,
                        "; files directly in incoming/ are read with [seller] alone: a seller's "
                        "files go in its folder (%s)",
                        cg_buf_str(&folders));
    }
    r = cg_strdup(cg_buf_str(&out));
    cg_buf_free(&folders);
    cg_buf_free(&out);
    return r;
}

struct spool_seller *spool_seller_get(struct cg_spool *sp, const char *name)
{
    struct spool_seller *s = NULL;
    struct spool_seller **grown;
    struct cg_err e;
    char section[CG_FS_NAME_MAX + 16];
    const struct cg_conf *conf = sp->conf;
    size_t i;

    if (name == NULL)
        name = "";
    for (i = 0; i < sp->nsellers; i++) {
        if (strcmp(sp->sellers[i]->name, name) == 0)
            return sp->sellers[i];
    }
    grown = realloc(sp->sellers, (sp->nsellers + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    sp->sellers = grown;
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->name = cg_strdup(name)) == NULL) {
        seller_free(s);
        return NULL;
    }
    s->index = (int)sp->nsellers;
    sp->sellers[sp->nsellers++] = s;
    cg_err_clear(&e);
    snprintf(section, sizeof(section), "seller.%s", name);
    if (name[0] != '\0' && !cg_conf_has_section(conf, section)) {
        char msg[CG_FS_NAME_MAX + 128];
        snprintf(msg, sizeof(msg),
                 "folder incoming/%s/ names no seller: the configuration has no [seller.%s]", name,
                 name);
        s->problem = cg_strdup(msg);
        return s;
    }
    if (cg_seller_load(conf, name, &s->seller, &e) != CG_OK ||
        cg_map_ctx_new(conf, s->seller, sp->codes, &s->map, &e) != CG_OK) {
        s->problem = seller_problem(conf, name, e.msg[0] != '\0' ? e.msg : cg_strerror(e.code));
        return s;
    }
    /* The seller's own key, else the [declare] one. */
    s->key_file = conf_path_or(conf, "declare", "key_file", s->seller->key_file);
    if (s->seller->key_file != NULL) {
        s->cert_file = cg_strdup(s->seller->cert_file);
        s->pass_file = cg_strdup(s->seller->key_pass_file);
        s->pass_env = cg_strdup(s->seller->key_pass_env);
        s->key_name = cg_strdup(s->seller->key_name);
    } else {
        s->cert_file = cg_conf_get_path(conf, "declare", "cert_file");
        s->pass_file = cg_conf_get_path(conf, "declare", "key_pass_file");
        s->pass_env = cg_strdup(cg_conf_get(conf, "declare", "key_pass_env"));
    }
    if (s->key_name == NULL)
        s->key_name = cg_strdup(cg_conf_get(conf, "declare", "key_name"));
    return s;
}

static void close_dirs(struct cg_spool *sp)
{
    int i;

    for (i = 0; i < D_N; i++) {
        if (sp->dfd[i] >= 0)
            close(sp->dfd[i]);
        sp->dfd[i] = -1;
    }
}

/*
 * Without [transport] sender_id the envelope's SenderId is [declare] dxp_id, which BaseTransfer
 * allows 30 characters and dxp-terminal.xsd's SenderId 16 (sender_id itself is held to 16 when
 * the file is loaded). Too long, every message would fail at the envelope: refused before the
 * run takes anything, naming the file, the line, both settings and the limit.
 */
static int check_dxp_sender(const struct cg_conf *conf, struct cg_err *err)
{
    const char *id = cg_conf_get(conf, "declare", "dxp_id");
    const char *file = cg_conf_file(conf);
    char where[300] = "";
    int n;

    const char *sender = cg_conf_get(conf, "transport", "sender_id");

    if ((sender != NULL && sender[0] != '\0') || id == NULL)
        return CG_OK;
    /* characters, as cg_dxp_wrap() and the schema count them */
    n = xmlUTF8Strlen((const xmlChar *)id);
    if (n <= CG_DXP_ID_MAX)
        return CG_OK;
    if (file != NULL && cg_conf_line(conf, "declare", "dxp_id") > 0)
        snprintf(where, sizeof(where), "%s:%d: ", file, cg_conf_line(conf, "declare", "dxp_id"));
    return CG_ERR_SET(err, CG_ECONFIG,
                      "%sdxp_id: the value is %d characters long; [transport] dxp_wrap = yes "
                      "without sender_id sends [declare] dxp_id as the DXP envelope's SenderId, "
                      "which allows at most %d: set [transport] sender_id",
                      where, n, CG_DXP_ID_MAX);
}

int cg_spool_open(const struct cg_conf *conf, const struct cg_spool_opts *opts,
                  struct cg_transport *t, struct cg_spool **out, struct cg_err *err)
{
    struct cg_spool *sp = NULL;
    const char *dbname;
    char *dbpath = NULL;
    long stale = 0;
    int rc;
    int i;

    sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < D_N; i++)
        sp->dfd[i] = -1;
    sp->conf = conf;
    if (opts != NULL)
        sp->opts = *opts;
    if (sp->opts.batch <= 0)
        sp->opts.batch = 500;
    if (sp->opts.workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        sp->opts.workers = n > 0 ? (int)(n > 16 ? 16 : n) : 1;
    }
    sp->t = t;
    /* A transport that waits for the port sees a stop request too (cut short, kept queued). */
    cg_transport_set_stop(t, sp->opts.stop);
    sp->st.started_ms = spool_now_ms();
    sp->workdir = cg_conf_workdir(conf);
    if (sp->workdir == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cg_fs_mkdir_p(sp->workdir, 0755, err);
    if (rc != CG_OK)
        goto fail;
    rc = cg_spool_lock_take(sp->workdir, &sp->lock, &stale, err);
    if (rc != CG_OK)
        goto fail;
    if (stale != 0)
        cg_warn("%s: took over the lock left by process %ld, which is gone", sp->workdir, stale);
    for (i = 0; i < D_N; i++) {
        char *p = cg_fs_join(sp->workdir, cg_spool_dir_names[i]);
        if (p == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto fail;
        }
        rc = cg_fs_mkdir_p(p, 0750, err);
        if (rc == CG_OK) {
            sp->dfd[i] = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sp->dfd[i] < 0)
                rc = CG_ERR_SET(err, CG_EIO, "%s: cannot open: %s", p, strerror(errno));
        }
        free(p);
        if (rc != CG_OK)
            goto fail;
    }
    dbname = cg_conf_get(conf, "general", "database");
    if (dbname == NULL)
        dbname = "cebgate.db";
    dbpath = dbname[0] == '/' ? cg_strdup(dbname) : cg_fs_join(sp->workdir, dbname);
    if (dbpath == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cg_store_open(dbpath, &sp->store, err);
    if (rc != CG_OK)
        goto fail;
    sp->data_dir = cg_conf_data_dir(conf);
    rc = cg_codes_load(sp->data_dir, &sp->codes, err);
    if (rc == CG_ENOTFOUND) {
        /* A code table is missing: the data directory is wrong, which running again will not
         * cure (exit 2, not 75); the message names the setting. */
        rc = CG_ECONFIG;
        if (err != NULL)
            err->code = rc;
    }
    if (rc != CG_OK)
        goto fail;
    cg_strlcpy(sp->schema_version, cg_conf_get(conf, "declare", "schema_version"),
               sizeof(sp->schema_version));
    sp->bt.cop_code = cg_conf_get(conf, "declare", "cop_code");
    sp->bt.cop_name = cg_conf_get(conf, "declare", "cop_name");
    sp->bt.dxp_id = cg_conf_get(conf, "declare", "dxp_id");
    sp->dxp_wrap = cg_conf_get_bool(conf, "transport", "dxp_wrap");
    /* sender_id left empty (`sender_id =`) is not given: dxp_id stands in for it */
    sp->dxp_sender = cg_conf_get(conf, "transport", "sender_id");
    if (sp->dxp_sender == NULL || sp->dxp_sender[0] == '\0')
        sp->dxp_sender = sp->bt.dxp_id;
    sp->dxp_receiver = cg_conf_get(conf, "transport", "receiver_id");
    if (sp->dxp_wrap && (sp->dxp_sender == NULL || sp->dxp_sender[0] == '\0' ||
                         sp->dxp_receiver == NULL || sp->dxp_receiver[0] == '\0')) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[transport] dxp_wrap needs sender_id (or [declare] dxp_id) and "
                        "receiver_id");
        goto fail;
    }
    if (sp->dxp_wrap && (rc = check_dxp_sender(conf, err)) != CG_OK)
        goto fail;
    rc = spool_recover(sp, err);
    if (rc != CG_OK)
        goto fail;
    free(dbpath);
    *out = sp;
    return CG_OK;
fail:
    free(dbpath);
    cg_spool_close(sp);
    return rc;
}

void cg_spool_close(struct cg_spool *sp)
{
    size_t i;

    if (sp == NULL)
        return;
    spool_pool_free(sp->pool);
    for (i = 0; i < sp->nsellers; i++)
        seller_free(sp->sellers[i]);
    free(sp->sellers);
    cg_codes_free(sp->codes);
    cg_store_close(sp->store);
    close_dirs(sp);
    cg_spool_lock_release(sp->lock);
    free(sp->run_files);
    free(sp->data_dir);
    free(sp->workdir);
    free(sp);
}

const struct cg_spool_stats *cg_spool_stats(const struct cg_spool *sp)
{
    return &sp->st;
}

void cg_spool_stats_reset(struct cg_spool *sp)
{
    memset(&sp->st, 0, sizeof(sp->st));
    sp->st.started_ms = spool_now_ms();
    sp->nrun_files = 0;
    sp->run_aside = false;
}

/* Where id is or would go in the run's files, kept in ascending order. */
static size_t run_file_pos(const struct cg_spool *sp, int64_t id)
{
    size_t lo = 0, hi = sp->nrun_files;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp->run_files[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int spool_run_file_add(struct cg_spool *sp, int64_t id, struct cg_err *err)
{
    size_t at = run_file_pos(sp, id);

    if (at < sp->nrun_files && sp->run_files[at] == id)
        return CG_OK;
    if (sp->nrun_files == sp->run_files_cap) {
        size_t cap = sp->run_files_cap ? sp->run_files_cap * 2 : 16;
        int64_t *p = realloc(sp->run_files, cap * sizeof(*p));
        if (p == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        sp->run_files = p;
        sp->run_files_cap = cap;
    }
    memmove(&sp->run_files[at + 1], &sp->run_files[at],
            (sp->nrun_files - at) * sizeof(*sp->run_files));
    sp->run_files[at] = id;
    sp->nrun_files++;
    return CG_OK;
}

bool spool_run_file_has(const struct cg_spool *sp, int64_t id)
{
    size_t at = run_file_pos(sp, id);

    return at < sp->nrun_files && sp->run_files[at] == id;
}

struct cg_store *cg_spool_store(struct cg_spool *sp)
{
    return sp->store;
}

static int64_t file_age_days(const struct stat *st)
{
    time_t now = time(NULL);

    return (int64_t)(now - st->st_mtime) / 86400;
}

/*
 * archive/ is scanned for files older than archive_days at most once a day. Ages count in whole
 * days, so scanning more often removes nothing sooner, and a scan reads the metadata of every
 * file kept: a spool declaring a million orders a night keeps hundreds of millions of files for
 * the default 90 days, which each pass of `run` (and `watch` after every dropped file) would
 * otherwise read again. archive/.pruned marks the end of the last complete scan by its
 * modification time; a scan that a stop request cut short leaves it as it was.
 */
#define PRUNE_EVERY_S 86400
#define PRUNE_STAMP ".pruned"

static bool pruned_lately(int dfd)
{
    struct stat st;
    time_t now = time(NULL);

    if (fstatat(dfd, PRUNE_STAMP, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return false;
    /* A mark from the future (the clock was set back) does not hold the scan off. */
    return st.st_mtime <= now && now - st.st_mtime < PRUNE_EVERY_S;
}

static void mark_pruned(int dfd)
{
    int fd = openat(dfd, PRUNE_STAMP, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

    if (fd < 0) {
        cg_debug("archive/%s: %s", PRUNE_STAMP, strerror(errno));
        return;
    }
    if (futimens(fd, NULL) != 0)
        cg_debug("archive/%s: %s", PRUNE_STAMP, strerror(errno));
    close(fd);
}

void spool_prune_archive(struct cg_spool *sp)
{
    long days = cg_conf_get_int(sp->conf, "spool", "archive_days");
    int fd;
    DIR *d;
    struct dirent *de;
    struct stat st;
    bool cut = false;

    if (days <= 0 || pruned_lately(sp->dfd[D_ARCHIVE]))
        return;
    fd = fcntl(sp->dfd[D_ARCHIVE], F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return;
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (sp->opts.stop != NULL && *sp->opts.stop) {
            cut = true;
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        if (fstatat(sp->dfd[D_ARCHIVE], de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (file_age_days(&st) >= days && unlinkat(sp->dfd[D_ARCHIVE], de->d_name, 0) == 0)
            cg_debug("archive/%s: older than %ld days, removed", de->d_name, days);
    }
    closedir(d);
    if (!cut)
        mark_pruned(sp->dfd[D_ARCHIVE]);
}
