/*
 * spool-summary.c - the monthly summary (CEB701) of route-B inventories (declared with
 * statisticsFlag B, read back from the CEB603 as sent: a seller's statistics_flag may change):
 * the inventories closed in a month are grouped by the merge key and each group is declared as
 * one CEB701, by command (cebgate summary) or at the end of each run between the 1st and
 * [spool] summary_day of the next month.
 *
 * Merge key (SETTLE-REFUND.md 1.0, customs announcement 2018 No.194): consignor, transport
 * mode, producer/seller and exit customs are the seller's configuration (ebc_code, traf_mode,
 * owner_code, port_code), so the key is the seller and the country of arrival (the inventory's
 * `country`, read back from the CEB603 message as sent). The item-level key (destination, HS
 * code, currency) is applied by customs inside the declaration; the CEB701 lists inventories.
 * An inventory held by a summary whose CEB701 is not rejected is never taken again; a rejected
 * summary is declared again (a modify when the E-Port gave it a preNo) with the inventories
 * still to summarise when they differ from those of the refused CEB701 (its content hash), or,
 * when the E-Port refused it before storing it, once by the next process or `watch` generation
 * (spool_refused_mark); else it waits, named in the output. Each summary is its own orders row
 * ("SUM:" month ":" country ":" serial), so its CEB702 and CEB792 are applied like any receipt; the
 * CEB792's entryId per inventory line is stored by the receipt ingestion (store-customs.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "spool/spool-int.h"
#include "store/store-flow.h"

struct cand {
    char *seller, *order_no, *invt_no, *country;
    int64_t order_id;
};
struct cands {
    struct cg_spool *sp;
    struct cand *v;
    size_t n;
    long skipped_a;
    int rc;
    struct cg_err *err;
};

static int cand_seen(const struct cg_store_sum_cand *c, void *vctx)
{
    struct cands *a = vctx;
    char country[16], flag[8];
    struct cand *g;
    struct cg_err e;

    /* The route is the one the inventory was declared by, not the seller's setting today, which
     * may have changed since: kept with the document (schema step 11), else its statisticsFlag
     * as sent. A route-A inventory, never summarised, stays a candidate of every pass of the
     * summary's days: it is passed over without reading its message. */
    if (c->route != NULL && strcmp(c->route, "B") != 0) {
        a->skipped_a++;
        return CG_OK;
    }
    cg_err_clear(&e);
    if (spool_inventory_country(a->sp, c->order_no, c->inv_id, c->inv_version, country,
                                sizeof(country), flag, sizeof(flag), &e) != CG_OK) {
        spool_event(a->sp, CG_SPOOL_EV_ORDER, "summary: %s; not summarised", e.msg);
        return CG_OK;
    }
    if (strcmp(flag, "B") != 0) {
        a->skipped_a++; /* route A: no customs declaration, never summarised */
        return CG_OK;
    }
    g = realloc(a->v, (a->n + 1) * sizeof(*g));
    if (g == NULL)
        return CG_ENOMEM;
    a->v = g;
    g = &a->v[a->n++];
    g->seller = cg_strdup(c->seller);
    g->order_no = cg_strdup(c->order_no);
    g->invt_no = cg_strdup(c->invt_no);
    g->country = cg_strdup(country);
    g->order_id = c->order_id;
    return g->seller && g->order_no && g->invt_no && g->country ? CG_OK : CG_ENOMEM;
}

struct sum_rec {
    struct cand *v;
    const size_t *idx;
    size_t n;
    const char *month;
    int64_t id, order_id;
    bool again;
};

static int sum_open_tx(struct cg_store *st, void *vctx, struct cg_err *err)
{
    struct sum_rec *r = vctx;
    size_t i;
    int rc = cg_store_sum_open(st, r->v[r->idx[0]].seller, r->month, r->v[r->idx[0]].country,
                               &r->id, &r->order_id, &r->again, err);

    if (rc == CG_OK)
        rc = cg_store_sum_invts_clear(st, r->id, err);
    for (i = 0; i < r->n && rc == CG_OK; i++)
        rc = cg_store_sum_invt_add(st, r->id, r->v[r->idx[i]].invt_no, r->v[r->idx[i]].order_id,
                                   err);
    return rc;
}

struct sum_doc {
    bool has;
    int version, state;
    char pre_no[32];
    char hash[65];
};

static int sum_doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct sum_doc *s = vctx;

    if (d->msg_type == CG_MSG_SUMMARY) {
        s->has = true;
        s->version = d->version;
        s->state = cg_doc_state_parse(d->state);
        cg_strlcpy(s->hash, d->content_hash != NULL ? d->content_hash : "", sizeof(s->hash));
        cg_strlcpy(s->pre_no, d->pre_no != NULL ? d->pre_no : "", sizeof(s->pre_no));
    }
    return CG_OK;
}

/* The CEB701's content: its copNo and its inventories, in order. */
static int content_hash(const char *key, const char **invts, size_t n, char out[65])
{
    struct cg_buf b;
    size_t i;
    int rc;

    cg_buf_init(&b, 64 * 1024 * 1024);
    rc = cg_buf_adds(&b, key);
    for (i = 0; i < n && rc == CG_OK; i++)
        rc = cg_buf_addf(&b, "\x1f%s", invts[i]);
    if (rc == CG_OK)
        cg_sha256_hex(cg_buf_str(&b), b.len, out);
    cg_buf_free(&b);
    return rc == CG_OK ? CG_OK : CG_ENOMEM;
}

/*
 * A summary whose CEB701 version v was refused and whose inventories are the same: *wait
 * unless an operator marked it to go out again (cebgate resend), or the E-Port refused it before
 * storing it and an earlier process or generation declared it (spool_refused_mark). A refusal by
 * customs waits for the inventories to change. A summary that waits is named in the output.
 */
static int refused_waits(struct cg_spool *sp, int64_t order_id, const char *month,
                         const char *seller, const char *country, const char *key, int v,
                         bool *wait, struct cg_err *err)
{
    bool unstored = false, old = false;
    int64_t mark = 0;
    /* An operator marked the refused version to go out again (cebgate resend): it does, once. */
    int rc =
        spool_resend_open(sp, order_id, CG_MSG_SUMMARY, err,
                          "summary %s %s%scountry %s: its monthly summary (CEB701) %s version %d",
                          month, seller, seller[0] ? " " : "", country, key, v);

    if (rc != CG_ENOTFOUND)
        return rc;
    rc = spool_refused_mark(sp, &mark, err);
    if (rc == CG_OK)
        rc = cg_store_doc_refused(sp->store, order_id, CG_MSG_SUMMARY, mark, &unstored, &old, err);
    if (rc != CG_OK || old)
        return rc;
    *wait = true;
    spool_event(sp, CG_SPOOL_EV_ORDER,
                "summary %s %s%scountry %s: its monthly summary (CEB701) %s version %d was "
                "refused by %s: declared again %s",
                month, seller, seller[0] ? " " : "", country, key, v,
                unstored ? "the E-Port before it stored it and was declared by this process"
                         : "customs",
                unstored ? "by the next run or `cebgate summary` (in watch: once the signing keys "
                           "are loaded again, or SIGHUP)"
                         : "only when its inventories change");
    return CG_OK;
}

/* Declare one group (the candidates idx[0..n)) as a CEB701; *sent when it went out. */
static int declare_group(struct cg_spool *sp, struct cands *a, const size_t *idx, size_t n,
                         const char *month, bool *sent, struct cg_err *err)
{
    struct sum_rec r = {a->v, idx, n, month, 0, 0, false};
    struct sum_doc d;
    struct cg_summary s;
    struct spool_job j;
    const char **invts = calloc(n, sizeof(*invts));
    char key[32], h[65], buf[256];
    bool wait = false;
    size_t i;
    int rc;

    if (invts == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    memset(&d, 0, sizeof(d));
    memset(&j, 0, sizeof(j));
    rc = cg_store_tx(sp->store, sum_open_tx, &r, err);
    if (rc == CG_OK)
        rc = cg_store_order_docs(sp->store, r.order_id, sum_doc_seen, &d, err);
    if (rc != CG_OK)
        goto done;
    snprintf(buf, sizeof(buf), "%s\x1f%s\x1f%s\x1f%lld", a->v[idx[0]].seller, month,
             a->v[idx[0]].country, (long long)r.id);
    cg_sha256_hex(buf, strlen(buf), h);
    snprintf(key, sizeof(key), "S%.20s", h);
    for (i = 0; i < n; i++)
        invts[i] = a->v[idx[i]].invt_no;
    rc = content_hash(key, invts, n, j.content_hash);
    if (rc == CG_OK && d.has && d.state == CG_DOC_REJECTED && strcmp(d.hash, j.content_hash) == 0)
        rc = refused_waits(sp, r.order_id, month, a->v[idx[0]].seller, a->v[idx[0]].country, key,
                           d.version, &wait, err);
    if (rc != CG_OK || wait)
        goto done;
    j.sel = spool_seller_get(sp, a->v[idx[0]].seller);
    if (j.sel == NULL || j.sel->problem != NULL) {
        rc = CG_ERR_SET(err, j.sel == NULL ? CG_ENOMEM : CG_ECONFIG, "%s",
                        j.sel == NULL ? "out of memory" : j.sel->problem);
        goto done;
    }
    memset(&s, 0, sizeof(s));
    cg_guid_new(j.guid);
    j.msg_type = CG_MSG_SUMMARY;
    j.version = d.has ? d.version + 1 : 1;
    /* Again after a refusal: a modify of what the E-Port stored, else an add. */
    j.app_type = d.pre_no[0] != '\0' ? CG_APP_MODIFY : CG_APP_ADD;
    s.guid = j.guid;
    s.app_type = j.app_type;
    s.cop_no = key;
    s.pre_no = d.pre_no[0] != '\0' ? d.pre_no : NULL;
    s.invt_nos = invts;
    s.ninvt = n;
    j.summary = &s;
    rc = spool_declare_one(sp, &j, r.order_id, key, NULL, NULL, err);
    if (rc == CG_OK) {
        *sent = true;
        sp->st.summaries_declared++;
        spool_event(sp, CG_SPOOL_EV_ORDER,
                    "summary %s %s%scountry %s: CEB701 %s declared with %zu inventories%s", month,
                    a->v[idx[0]].seller, a->v[idx[0]].seller[0] ? " " : "", a->v[idx[0]].country,
                    key, n, r.again ? " (again)" : "");
    }
done:
    free(j.error);
    free(invts);
    return rc;
}

int cg_spool_summary(struct cg_spool *sp, const char *month, bool dry_run, long *declared,
                     struct cg_err *err)
{
    struct cands a;
    size_t *idx = NULL;
    bool *used = NULL, sent;
    size_t i, k, n;
    int rc;

    memset(&a, 0, sizeof(a));
    a.sp = sp;
    *declared = 0;
    rc = cg_store_sum_candidates(sp->store, month, cand_seen, &a, err);
    if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, rc, "out of memory");
    if (rc == CG_OK && a.n > 0) {
        idx = calloc(a.n, sizeof(*idx));
        used = calloc(a.n, sizeof(*used));
        if (idx == NULL || used == NULL)
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    /* Groups in the order of their first inventory: same seller, same country of arrival. */
    for (i = 0; rc == CG_OK && i < a.n; i++) {
        if (used[i])
            continue;
        for (n = 0, k = i; k < a.n && n < CG_MSG_MAX_ENTITIES * 100; k++) {
            if (!used[k] && strcmp(a.v[k].seller, a.v[i].seller) == 0 &&
                strcmp(a.v[k].country, a.v[i].country) == 0) {
                used[k] = true;
                idx[n++] = k;
            }
        }
        if (dry_run) {
            struct cg_buf b;

            cg_buf_init(&b, 1024 * 1024);
            for (k = 0; k < n; k++)
                cg_buf_addf(&b, "%s%s", k ? " " : "", a.v[idx[k]].invt_no);
            spool_event(sp, CG_SPOOL_EV_ORDER,
                        "summary %s %s%scountry %s: would declare a CEB701 with %zu inventor%s: "
                        "%s",
                        month, a.v[i].seller, a.v[i].seller[0] ? " " : "", a.v[i].country, n,
                        n == 1 ? "y" : "ies", b.data != NULL ? cg_buf_str(&b) : "");
            cg_buf_free(&b);
            (*declared)++;
            continue;
        }
        sent = false;
        rc = declare_group(sp, &a, idx, n, month, &sent, err);
        if (rc == CG_OK && sent)
            (*declared)++;
    }
    for (i = 0; i < a.n; i++) {
        free(a.v[i].seller);
        free(a.v[i].order_no);
        free(a.v[i].invt_no);
        free(a.v[i].country);
    }
    free(a.v);
    free(idx);
    free(used);
    return rc;
}

void cg_spool_prev_month(time_t now, char out[7])
{
    time_t china = now + 8 * 3600;
    struct tm tm;
    char tmp[32];

    gmtime_r(&china, &tm);
    tm.tm_mon -= 1;
    if (tm.tm_mon < 0) {
        tm.tm_mon = 11;
        tm.tm_year -= 1;
    }
    snprintf(tmp, sizeof(tmp), "%04d%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    cg_strlcpy(out, tmp, 7);
}

int spool_summary_auto(struct cg_spool *sp, struct cg_err *err)
{
    long day = cg_conf_get_int(sp->conf, "spool", "summary_day");
    time_t now = time(NULL);
    time_t china = now + 8 * 3600;
    struct tm tm;
    char month[7];
    long n = 0;

    gmtime_r(&china, &tm);
    if (day <= 0 || tm.tm_mday > day)
        return CG_OK;
    cg_spool_prev_month(now, month);
    return cg_spool_summary(sp, month, false, &n, err);
}
