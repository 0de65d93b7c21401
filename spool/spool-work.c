/*
 * spool-work.c - worker threads that turn one (order, document) job into a signed message
 * file in tmp/: build, validate against the compiled schema, sign, serialize, optionally wrap
 * in the DXP envelope, write.
 *
 * Each worker compiles the schema once and keeps it for the life of the pool. Signing keys are
 * loaded once per pool, that is once per process: the first worker that needs a seller's key
 * loads it under the pool's key lock (one signer per distinct set of key settings, so sellers
 * signing with the [declare] key share it) and every worker signs with its own clone of it
 * (cg_signer_clone: the key is shared, contexts and buffers are the worker's). A key that
 * cannot be loaded is tried once; every job needing it fails with the same text. Each key
 * remembers what its key, certificate and passphrase files were (device, inode, size,
 * modification and change time) just before it was read, so that `watch` sees a file replaced
 * since (spool_pool_keys_changed) and loads every key again between passes
 * (spool_pool_keys_reload). Apart from
 * the shared keys, libxml2 and xmlsec objects are never shared between threads, only the
 * read-only order records and seller profiles are. The spool thread hands a
 * whole batch over (spool_pool_start) and collects it later (spool_pool_wait), so it can commit
 * the previous batch meanwhile; a job that fails gets rc and an error
 * text and leaves no file behind. Files are written with O_EXCL|O_NOFOLLOW under names made of
 * the message type and a fresh guid; whether each is fsync'ed here or the batch is flushed at
 * once is the spool's choice (opts.sync_per_file).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "spool/spool-int.h"

struct worker {
    struct spool_pool *pool;
    pthread_t tid;
    bool started;
    struct cg_schema *schema;
    char *schema_error;
    struct cg_signer **signers; /* by seller index */
    char **signer_errors;       /* a key that cannot be used, kept for the process */
    size_t nsigners;
    char *temp_error; /* the last failure worth trying again (not kept) */
};

/* What a key, certificate or passphrase file was when its key was loaded (stat before). */
struct file_stamp {
    int err; /* errno of stat, 0 when it succeeded */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
};

enum { KF_KEY, KF_CERT, KF_PASS, KF_N };

/* One signer loaded for the process, for the key settings of sel (and of sellers like it). */
struct pool_key {
    const struct spool_seller *sel; /* borrowed: sellers outlive the pool */
    struct cg_signer *signer;       /* NULL when loading failed */
    char *error;                    /* why, when signer is NULL */
    int rc;                         /* and the failure's code */
    struct file_stamp files[KF_N];  /* its files as they were just before it was loaded */
};

struct spool_pool {
    struct cg_spool *sp;
    pthread_mutex_t key_mu; /* guards keys and nkeys; held while a key is loaded */
    struct pool_key *keys;
    size_t nkeys;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    struct spool_job *jobs;
    size_t njobs, next, finished;
    bool quit;
    int n;
    struct worker *w;
};

static char *errdup(const struct cg_err *e, const char *what)
{
    struct cg_buf b;

    cg_buf_init(&b, 4096);
    cg_buf_addf(&b, "%s%s%s", what, what[0] != '\0' ? ": " : "",
                e->msg[0] != '\0' ? e->msg : cg_strerror(e->code));
    return cg_buf_take(&b);
}

static bool same_str(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* True when a and b sign with the same settings (the rest comes from [declare] for both). */
static bool same_key(const struct spool_seller *a, const struct spool_seller *b)
{
    return same_str(a->key_file, b->key_file) && same_str(a->cert_file, b->cert_file) &&
           same_str(a->pass_file, b->pass_file) && same_str(a->pass_env, b->pass_env) &&
           same_str(a->key_name, b->key_name);
}

static void stamp_file(const char *path, struct file_stamp *f)
{
    struct stat st;

    memset(f, 0, sizeof(*f));
    if (path == NULL)
        return;
    if (stat(path, &st) != 0) {
        f->err = errno != 0 ? errno : EIO;
        return;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtim = st.st_mtim;
    f->ctim = st.st_ctim;
}

static bool same_stamp(const struct file_stamp *a, const struct file_stamp *b)
{
    return a->err == b->err && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtim.tv_sec == b->mtim.tv_sec && a->mtim.tv_nsec == b->mtim.tv_nsec &&
           a->ctim.tv_sec == b->ctim.tv_sec && a->ctim.tv_nsec == b->ctim.tv_nsec;
}

static const char *key_path(const struct spool_seller *sel, int which)
{
    return which == KF_KEY ? sel->key_file : which == KF_CERT ? sel->cert_file : sel->pass_file;
}

/*
 * Load k's signer for k->sel's settings into k (signer, or error and rc), after stamping the
 * files it is read from: a file changed while it is read differs from its stamp afterwards.
 */
static void key_load(struct spool_pool *p, struct pool_key *k)
{
    struct cg_spool *sp = p->sp;
    const struct spool_seller *sel = k->sel;
    struct cg_signer_opts o;
    struct cg_err e;
    char *ca = NULL;
    int i;

    for (i = 0; i < KF_N; i++)
        stamp_file(key_path(sel, i), &k->files[i]);
    memset(&o, 0, sizeof(o));
    o.kind = cg_conf_get(sp->conf, "declare", "signer");
    o.alg = cg_conf_get(sp->conf, "declare", "sign_alg");
    o.sm2_id = cg_conf_get(sp->conf, "declare", "sm2_id");
    o.key_file = sel->key_file;
    o.cert_file = sel->cert_file;
    o.pass_file = sel->pass_file;
    o.pass_env = sel->pass_env;
    o.key_name = sel->key_name;
    o.remote_url = cg_conf_get(sp->conf, "declare", "remote_url");
    o.remote_token = cg_conf_get(sp->conf, "declare", "remote_token");
    ca = cg_conf_get_path(sp->conf, "declare", "remote_ca");
    o.remote_ca = ca;
    cg_err_clear(&e);
    k->rc = cg_signer_new(&o, &k->signer, &e);
    if (k->rc != CG_OK) {
        k->signer = NULL;
        k->error = errdup(&e, "signing key");
    }
    free(ca);
}

/*
 * The process's signer for sel's key settings, loaded (passphrase read, key parsed) the first
 * time any worker asks. Called with p->key_mu held. NULL only when out of memory. A failure
 * that may pass (a read error, no file descriptor left: cg_rc_temporary) is not kept: the
 * entry is returned but not counted, so the next ask loads the key again.
 */
static struct pool_key *pool_key_get(struct spool_pool *p, const struct spool_seller *sel)
{
    struct pool_key *grown, *k;
    size_t i;

    for (i = 0; i < p->nkeys; i++) {
        if (same_key(p->keys[i].sel, sel))
            return &p->keys[i];
    }
    grown = realloc(p->keys, (p->nkeys + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    p->keys = grown;
    k = &p->keys[p->nkeys];
    memset(k, 0, sizeof(*k));
    k->sel = sel;
    key_load(p, k);
    if (k->rc == CG_OK || !cg_rc_temporary(k->rc))
        p->nkeys++;
    return k;
}

bool spool_pool_keys_changed(struct spool_pool *p)
{
    bool changed = false;
    size_t i;
    int f;

    if (p == NULL)
        return false;
    pthread_mutex_lock(&p->key_mu);
    for (i = 0; i < p->nkeys && !changed; i++) {
        for (f = 0; f < KF_N && !changed; f++) {
            struct file_stamp now;
            stamp_file(key_path(p->keys[i].sel, f), &now);
            changed = !same_stamp(&now, &p->keys[i].files[f]);
        }
    }
    pthread_mutex_unlock(&p->key_mu);
    return changed;
}

int spool_pool_keys_reload(struct spool_pool *p, struct cg_err *err)
{
    int rc = CG_OK;
    size_t i, k;
    int n;

    if (p == NULL)
        return CG_OK;
    pthread_mutex_lock(&p->key_mu);
    /* The workers wait for the next batch: their clones and kept errors go with the keys. */
    for (n = 0; p->w != NULL && n < p->n; n++) {
        struct worker *w = &p->w[n];
        for (k = 0; k < w->nsigners; k++) {
            cg_signer_free(w->signers[k]);
            w->signers[k] = NULL;
            free(w->signer_errors[k]);
            w->signer_errors[k] = NULL;
        }
    }
    for (i = 0; i < p->nkeys; i++) {
        struct pool_key *pk = &p->keys[i];
        /* The key loaded before is not kept: a replaced key that fails is not signed with. */
        cg_signer_free(pk->signer);
        pk->signer = NULL;
        free(pk->error);
        pk->error = NULL;
        key_load(p, pk);
        if (pk->rc != CG_OK && rc == CG_OK)
            rc = CG_ERR_SET(err, pk->rc, "%s", pk->error != NULL ? pk->error : cg_strerror(pk->rc));
    }
    pthread_mutex_unlock(&p->key_mu);
    return rc;
}

/* A failure worth trying again: its text for the job, kept until the next one. */
static const char *worker_temp(struct worker *w, char *msg)
{
    free(w->temp_error);
    w->temp_error = msg;
    return msg != NULL ? msg : "out of memory";
}

/*
 * The worker's signer for sel, or NULL with *why and *rc: CG_ECRYPTO (or what loading said)
 * for a key that cannot be used, a temporary code when loading may succeed later.
 */
static struct cg_signer *worker_signer(struct worker *w, const struct spool_seller *sel,
                                       const char **why, int *rc)
{
    struct spool_pool *p = w->pool;
    struct pool_key *k;
    struct cg_err e;
    size_t i = (size_t)sel->index;

    if (i >= w->nsigners) {
        struct cg_signer **ns = realloc(w->signers, (i + 1) * sizeof(*ns));
        char **ne;
        if (ns == NULL)
            return NULL;
        w->signers = ns;
        ne = realloc(w->signer_errors, (i + 1) * sizeof(*ne));
        if (ne == NULL)
            return NULL;
        w->signer_errors = ne;
        while (w->nsigners <= i) {
            w->signers[w->nsigners] = NULL;
            w->signer_errors[w->nsigners] = NULL;
            w->nsigners++;
        }
    }
    *rc = CG_ECRYPTO;
    if (w->signers[i] != NULL)
        return w->signers[i];
    if (w->signer_errors[i] != NULL) {
        *why = w->signer_errors[i];
        return NULL;
    }
    cg_err_clear(&e);
    pthread_mutex_lock(&p->key_mu);
    k = pool_key_get(p, sel);
    if (k == NULL) {
        *rc = CG_ENOMEM;
        *why = worker_temp(w, NULL);
    } else if (k->signer == NULL && cg_rc_temporary(k->rc)) {
        /* Not counted in p->keys: the entry is reused, its text moves to the worker. */
        *rc = k->rc;
        *why = worker_temp(w, k->error);
        k->error = NULL;
    } else if (k->signer == NULL) {
        w->signer_errors[i] = cg_strdup(k->error != NULL ? k->error : "signing key: out of memory");
        if (k->rc != CG_OK)
            *rc = k->rc;
    } else if ((*rc = cg_signer_clone(k->signer, &w->signers[i], &e)) != CG_OK) {
        w->signers[i] = NULL;
        if (cg_rc_temporary(*rc))
            *why = worker_temp(w, errdup(&e, "signing key"));
        else
            w->signer_errors[i] = errdup(&e, "signing key");
    }
    pthread_mutex_unlock(&p->key_mu);
    if (w->signers[i] == NULL && *why == NULL)
        *why = w->signer_errors[i] != NULL ? w->signer_errors[i] : "signing key: out of memory";
    return w->signers[i];
}

/* The file system is full (or the user's quota): more room would have let it through. */
static bool no_space(int e)
{
    return e == ENOSPC || e == EDQUOT;
}

/* Write a message to tmp/; *full is set when it failed for want of space. */
static int write_tmp(struct cg_spool *sp, const char *name, const char *data, size_t len,
                     bool *full, struct cg_err *err)
{
    int fd;
    size_t off = 0;
    int rc = CG_OK;

    fd = openat(sp->dfd[D_TMP], name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        *full = no_space(errno);
        return CG_ERR_SET(err, CG_EIO, "tmp/%s: cannot create: %s", name, strerror(errno));
    }
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            *full = w < 0 && no_space(errno);
            rc = CG_ERR_SET(err, CG_EIO, "tmp/%s: write failed: %s", name,
                            w < 0 ? strerror(errno) : "no progress");
            goto done;
        }
        off += (size_t)w;
    }
    if (sp->opts.sync_per_file && fsync(fd) != 0) {
        *full = no_space(errno);
        rc = CG_ERR_SET(err, CG_EIO, "tmp/%s: fsync failed: %s", name, strerror(errno));
    }
done:
    if (close(fd) != 0 && rc == CG_OK) {
        *full = no_space(errno);
        rc = CG_ERR_SET(err, CG_EIO, "tmp/%s: close failed: %s", name, strerror(errno));
    }
    if (rc != CG_OK)
        unlinkat(sp->dfd[D_TMP], name, 0);
    return rc;
}

/* Load the schema for the worker; on failure w->schema stays NULL and w->schema_error says
 * why (the next job tries again). */
static void worker_schema(struct worker *w)
{
    struct cg_spool *sp = w->pool->sp;
    struct cg_err e;

    cg_err_clear(&e);
    free(w->schema_error);
    w->schema_error = NULL;
    if (cg_schema_load(sp->data_dir, sp->schema_version, &w->schema, &e) != CG_OK) {
        w->schema = NULL;
        w->schema_error = errdup(&e, "schema");
    }
}

static void do_job(struct worker *w, struct spool_job *j)
{
    struct cg_spool *sp = w->pool->sp;
    struct cg_doc_ref ref;
    struct cg_signer *signer;
    struct cg_err e;
    xmlDocPtr doc = NULL;
    char *xml = NULL;
    char *wrapped = NULL;
    size_t len = 0, wlen = 0;
    char tname[32];
    const char *why = NULL;
    const char *what = "";
    int rc;

    cg_err_clear(&e);
    spool_msg_type_name(j->msg_type, tname, sizeof(tname));
    if (w->schema == NULL)
        worker_schema(w);
    if (w->schema == NULL) {
        /* The installation's schema, not the order, is at fault: the batch is tried again
         * (a temporary code keeps the input and ends the run with 75). */
        rc = CG_EIO;
        j->error = cg_strdup(w->schema_error != NULL ? w->schema_error : "schema not loaded");
        goto done;
    }
    memset(&ref, 0, sizeof(ref));
    ref.order = j->order;
    ref.guid = j->guid;
    ref.app_type = j->app_type;
    ref.cop_no = j->cop_no;
    ref.pre_no = j->pre_no;
    ref.invt_no = j->invt_no;
    what = "building";
    if (j->msg_type == CG_MSG_INVT_CANCEL) {
        struct cg_invt_cancel c = {.guid = j->guid,
                                   .app_type = j->app_type,
                                   .cop_no = j->cop_no,
                                   .pre_no = j->pre_no,
                                   .invt_no = j->invt_no,
                                   .reason = j->reason};
        rc = cg_build_cancel_doc(j->guid, &c, 1, j->sel->seller, &sp->bt, sp->schema_version, &doc,
                                 &e);
    } else if (j->msg_type == CG_MSG_BILL_LIST) {
        rc = cg_build_waybill_doc(j->guid, j->waybill, 1, j->sel->seller, &sp->bt,
                                  sp->schema_version, &doc, &e);
    } else if (j->msg_type == CG_MSG_DEPARTURE) {
        rc = cg_build_departure_doc(j->guid, j->departure, 1, j->sel->seller, &sp->bt,
                                    sp->schema_version, &doc, &e);
    } else if (j->msg_type == CG_MSG_SUMMARY) {
        rc = cg_build_summary_doc(j->guid, j->summary, 1, j->sel->seller, &sp->bt,
                                  sp->schema_version, &doc, &e);
    } else if (j->msg_type == CG_MSG_RETURN) {
        rc = cg_build_refund_doc(j->guid, j->refund, 1, j->sel->seller, &sp->bt, sp->schema_version,
                                 &doc, &e);
    } else {
        rc = cg_build_order_doc(j->msg_type, j->guid, &ref, 1, j->sel->seller, &sp->bt,
                                sp->schema_version, &doc, &e);
    }
    if (rc != CG_OK)
        goto fail;
    what = "schema";
    rc = cg_schema_validate(w->schema, doc, &e);
    if (rc != CG_OK)
        goto fail;
    signer = worker_signer(w, j->sel, &why, &rc);
    if (signer == NULL) {
        j->error = cg_strdup(why != NULL ? why : "signing key: out of memory");
        goto done;
    }
    what = "signing";
    rc = cg_signer_sign(signer, doc, &e);
    if (rc != CG_OK)
        goto fail;
    what = "serializing";
    rc = cg_xml_serialize(doc, &xml, &len, &e);
    if (rc != CG_OK)
        goto fail;
    if (sp->dxp_wrap) {
        what = "DXP envelope";
        rc = cg_dxp_wrap(xml, len, tname, sp->dxp_sender, sp->dxp_receiver, j->guid, &wrapped,
                         &wlen, &e);
        if (rc != CG_OK)
            goto fail;
        free(xml);
        xml = wrapped;
        len = wlen;
        wrapped = NULL;
    }
    snprintf(j->name, sizeof(j->name), "%s_%s.xml", tname, j->guid);
    what = "writing";
    rc = write_tmp(sp, j->name, xml, len, &j->no_space, &e);
    if (rc != CG_OK)
        goto fail;
    cg_sha256_hex(xml, len, j->sha256);
    j->size = len;
    goto done;
fail : {
    char head[128];
    snprintf(head, sizeof(head), "CEB%03d %s", j->msg_type, what);
    j->error = errdup(&e, head);
}
done:
    j->rc = rc;
    if (rc != CG_OK && j->error == NULL)
        j->error = cg_strdup(cg_strerror(rc));
    free(wrapped);
    free(xml);
    if (doc != NULL)
        xmlFreeDoc(doc);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct spool_pool *p = w->pool;

    worker_schema(w);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->next >= p->njobs)
            pthread_cond_wait(&p->work, &p->mu);
        if (p->quit)
            break;
        {
            struct spool_job *j = &p->jobs[p->next++];
            pthread_mutex_unlock(&p->mu);
            do_job(w, j);
            pthread_mutex_lock(&p->mu);
            if (++p->finished == p->njobs)
                pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int spool_pool_new(struct cg_spool *sp, int n, struct spool_pool **out, struct cg_err *err)
{
    struct spool_pool *p;
    int i;

    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    p->sp = sp;
    p->n = n;
    pthread_mutex_init(&p->key_mu, NULL);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->w = calloc((size_t)n, sizeof(*p->w));
    if (p->w == NULL) {
        spool_pool_free(p);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    for (i = 0; i < n; i++) {
        p->w[i].pool = p;
        if (pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]) != 0) {
            spool_pool_free(p);
            return CG_ERR_SET(err, CG_ERR, "cannot start worker thread: %s", strerror(errno));
        }
        p->w[i].started = true;
        pthread_setname_np(p->w[i].tid, "spool-worker");
    }
    *out = p;
    return CG_OK;
}

void spool_pool_start(struct spool_pool *p, struct spool_job *jobs, size_t n)
{
    pthread_mutex_lock(&p->mu);
    p->jobs = jobs;
    p->njobs = n;
    p->next = 0;
    p->finished = 0;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

void spool_pool_wait(struct spool_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->finished < p->njobs)
        pthread_cond_wait(&p->done, &p->mu);
    p->jobs = NULL;
    p->njobs = 0;
    p->next = 0;
    p->finished = 0;
    pthread_mutex_unlock(&p->mu);
}

void spool_pool_run(struct spool_pool *p, struct spool_job *jobs, size_t n)
{
    if (n == 0)
        return;
    spool_pool_start(p, jobs, n);
    spool_pool_wait(p);
}

void spool_pool_free(struct spool_pool *p)
{
    int i;
    size_t k;

    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; p->w != NULL && i < p->n; i++) {
        struct worker *w = &p->w[i];
        if (w->started)
            pthread_join(w->tid, NULL);
        for (k = 0; k < w->nsigners; k++) {
            cg_signer_free(w->signers[k]);
            free(w->signer_errors[k]);
        }
        free(w->signers);
        free(w->signer_errors);
        cg_schema_free(w->schema);
        free(w->schema_error);
        free(w->temp_error);
    }
    free(p->w);
    for (k = 0; k < p->nkeys; k++) {
        cg_signer_free(p->keys[k].signer);
        free(p->keys[k].error);
    }
    free(p->keys);
    pthread_mutex_destroy(&p->key_mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
