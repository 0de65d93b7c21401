/*
 * port-release.c - publishing the scenario's receipts when they fall due, and the JSON the
 * HTTP API answers with (message results, the GET /receipts page).
 *
 * Publishing runs in one transaction per batch: build the receipt, store it (its id is the next
 * cursor value, so ids grow in publishing order), write its file, update the document's status,
 * delete the schedule row. A failure rolls the batch back and it is tried again on the next
 * tick, so a receipt is published once or not at all. Runs on the writer connection (under
 * p->wlock); GET /receipts reads the separate read connection, so it never sees a receipt of a
 * transaction that is not committed yet.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "port/port-int.h"

#define RELEASE_BATCH 500

struct due {
    sqlite3_int64 sched_id;
    sqlite3_int64 doc_id;
    int receipt_type;
    int status;
    int last;
    int req_type;
    char *info;
    char *doc;
};

static void dues_free(struct due *d, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(d[i].info);
        free(d[i].doc);
    }
    free(d);
}

/* The inventories a summary lists (by invtNo), as a JSON array of their documents. */
static int summary_inventories(struct cg_port *p, sqlite3_int64 doc_id, const json_t *ent,
                               json_t **out, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    json_t *inv;
    const json_t *it;
    size_t i;
    int r;

    if (arr == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    r = cg_port_sql(p, CG_SQL_INVENTORY, &st, err);
    if (r != CG_OK) {
        json_decref(arr);
        return r;
    }
    json_array_foreach(json_object_get(ent, "items"), i, it)
    {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, cg_port_field(it, "invtNo"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, doc_id);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        inv = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        if (inv != NULL)
            json_array_append_new(arr, inv);
    }
    sqlite3_reset(st);
    *out = arr;
    return CG_OK;
}

static int publish_one(struct cg_port *p, const struct due *d, int64_t now, struct cg_err *err)
{
    const struct cg_port_kind *k = cg_port_kind_find(d->req_type);
    sqlite3_stmt *st = NULL;
    xmlDocPtr rdoc = NULL;
    json_t *ent = NULL;
    json_t *invs = NULL;
    char guid[40];
    char t17[18];
    char status[16];
    int rc;
    int r;

    if (k == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "document %lld has unknown type %d", (long long)d->doc_id,
                          d->req_type);
    ent = json_loads(d->doc, 0, NULL);
    if (ent == NULL)
        return CG_ERR_SET(err, CG_EPARSE, "document %lld: stored JSON is damaged",
                          (long long)d->doc_id);
    cg_guid_new(guid);
    cg_port_time17(now, t17);
    if (d->receipt_type == 792) {
        rc = summary_inventories(p, d->doc_id, ent, &invs, err);
        if (rc == CG_OK)
            rc = cg_port_receipt_build_792(guid, ent, invs, "A", t17, p->version, &rdoc, err);
        cg_strlcpy(status, "A", sizeof(status));
    } else {
        snprintf(status, sizeof(status), "%d", d->status);
        rc = cg_port_receipt_build(k, guid, ent, status, d->info, t17, &rdoc, err);
    }
    if (rc == CG_OK)
        rc = cg_port_publish(p, (long)d->doc_id, NULL, d->receipt_type, guid,
                             cg_port_field(ent, "guid"), status, rdoc, err);
    if (rc != CG_OK)
        goto done;
    rc = cg_port_sql(p, d->receipt_type == 792 ? CG_SQL_SET_FINAL : CG_SQL_SET_STATUS, &st, err);
    if (rc != CG_OK)
        goto done;
    sqlite3_bind_int64(st, 1, d->doc_id);
    sqlite3_bind_int(st, 2, d->last);
    if (d->receipt_type != 792)
        sqlite3_bind_int(st, 3, d->status);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_DONE) {
        rc = cg_port_sql(p, CG_SQL_DEL_SCHEDULE, &st, err);
        if (rc != CG_OK)
            goto done;
        sqlite3_bind_int64(st, 1, d->sched_id);
        r = sqlite3_step(st);
        sqlite3_reset(st);
    }
    if (r != SQLITE_DONE)
        rc = cg_db_fail(p->db, r, "publishing a receipt", err);
done:
    xmlFreeDoc(rdoc);
    json_decref(ent);
    json_decref(invs);
    return rc;
}

struct release_ctx {
    struct cg_port *p;
    int64_t now;
    size_t n;
};

static int release_tx(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct release_ctx *rc = vctx;
    sqlite3_stmt *st = NULL;
    struct due *d = NULL;
    struct due *grown;
    size_t n = 0;
    size_t i;
    int ret = CG_OK;
    int r;

    ret = cg_port_sql(rc->p, CG_SQL_DUE, &st, err);
    if (ret != CG_OK)
        return ret;
    sqlite3_bind_int64(st, 1, rc->now);
    sqlite3_bind_int(st, 2, RELEASE_BATCH);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        grown = realloc(d, (n + 1) * sizeof(*d));
        if (grown == NULL) {
            ret = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        d = grown;
        memset(&d[n], 0, sizeof(d[n]));
        d[n].sched_id = sqlite3_column_int64(st, 0);
        d[n].doc_id = sqlite3_column_int64(st, 1);
        d[n].receipt_type = sqlite3_column_int(st, 2);
        d[n].status = sqlite3_column_int(st, 3);
        d[n].last = sqlite3_column_int(st, 4);
        d[n].info = cg_strdup((const char *)sqlite3_column_text(st, 5));
        d[n].req_type = sqlite3_column_int(st, 6);
        d[n].doc = cg_strdup((const char *)sqlite3_column_text(st, 7));
        n++;
        if (d[n - 1].info == NULL || d[n - 1].doc == NULL) {
            ret = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE) {
        ret = cg_db_fail(db, r, "due receipts", err);
        goto done;
    }
    sqlite3_reset(st);
    st = NULL;
    for (i = 0; i < n && ret == CG_OK; i++)
        ret = publish_one(rc->p, &d[i], rc->now, err);
    if (ret == CG_OK)
        rc->n = n;
done:
    if (st != NULL)
        sqlite3_reset(st);
    dues_free(d, n);
    return ret;
}

int cg_port_release_in_tx(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err)
{
    struct release_ctx rc;
    int ret;

    rc.p = p;
    rc.now = now_ms;
    rc.n = 0;
    ret = release_tx(p->db, &rc, err);
    *n = rc.n;
    return ret;
}

int cg_port_release_due(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err)
{
    struct release_ctx rc;
    int ret;

    *n = 0;
    pthread_mutex_lock(&p->wlock);
    do {
        rc.p = p;
        rc.now = now_ms;
        rc.n = 0;
        ret = cg_db_tx(p->db, release_tx, &rc, err);
        *n += rc.n;
    } while (ret == CG_OK && rc.n == RELEASE_BATCH);
    cg_port_sql_reset_all(p);
    pthread_mutex_unlock(&p->wlock);
    return ret;
}

/* Earliest due time of a planned receipt, or -1 when none. */
int64_t cg_port_next_due(struct cg_port *p)
{
    sqlite3_stmt *st = NULL;
    struct cg_err err;
    int64_t due = -1;

    if (cg_port_sql(p, CG_SQL_NEXT_DUE, &st, &err) == CG_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        due = sqlite3_column_int64(st, 0);
    if (st != NULL)
        sqlite3_reset(st);
    return due;
}

/* ------------------------------------------------------------------ JSON */

static int dump(json_t *obj, char **out, struct cg_err *err)
{
    char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

    json_decref(obj);
    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    *out = s;
    return CG_OK;
}

int cg_port_result_json(const struct cg_port_result *res, char **out, struct cg_err *err)
{
    json_t *docs = json_array();
    json_t *d;
    char type[16];
    size_t i;
    const char *result = strcmp(res->code, "0000") == 0                       ? "accepted"
                         : res->http_status == 503 || res->http_status == 500 ? "retry"
                                                                              : "rejected";

    for (i = 0; docs != NULL && i < res->ndocs; i++) {
        d = json_pack("{s:s, s:s}", "guid", res->docs[i].guid, "preNo", res->docs[i].pre_no);
        if (d != NULL && res->docs[i].invt_no[0] != '\0')
            json_object_set_new(d, "invtNo", json_string(res->docs[i].invt_no));
        if (d == NULL || json_array_append_new(docs, d) != 0) {
            json_decref(docs);
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        }
    }
    if (docs == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    snprintf(type, sizeof(type), "CEB%dMessage", res->msg_type);
    return dump(
        json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:o}", "result", result, "code", res->code,
                  "text", res->text, "guid", res->guid[0] != '\0' ? res->guid : NULL, "messageType",
                  res->msg_type != 0 ? type : NULL, "duplicate", res->duplicate, "documents", docs),
        out, err);
}

static char *base64(const unsigned char *p, int len)
{
    char *out = malloc((size_t)(len + 2) / 3 * 4 + 1);

    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, p, len);
    return out;
}

int cg_port_receipts_json(struct cg_port *p, const char *sender, int64_t since, int limit,
                          char **out, struct cg_err *err)
{
    size_t bytes = 0;
    bool full = false;
    sqlite3_stmt *st = NULL;
    json_t *list = json_array();
    json_t *item;
    char type[24];
    char *b64;
    int64_t next = since;
    int rows = 0;
    int rc = CG_OK;
    int r;

    if (list == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->rlock);
    r = sqlite3_prepare_v2(cg_db_handle(p->rdb),
                           "SELECT id, msg_type, msg_guid, doc_guid, status, xml FROM receipts "
                           "WHERE sender = ?3 AND id > ?1 ORDER BY id LIMIT ?2",
                           -1, &st, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(p->rdb, r, "receipts", err);
        pthread_mutex_unlock(&p->rlock);
        json_decref(list);
        return rc;
    }
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int(st, 2, limit + 1);
    if (sender != NULL)
        sqlite3_bind_text(st, 3, sender, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        /* base64 is 4/3 of the bytes; a page is cut before the byte ceiling, never empty */
        size_t add = (size_t)sqlite3_column_bytes(st, 5) / 3 * 4 + 256;

        if (++rows > limit || (rows > 1 && bytes + add > p->receipts_page_bytes)) {
            full = true;
            break;
        }
        bytes += add;
        next = sqlite3_column_int64(st, 0);
        snprintf(type, sizeof(type), "CEB%dMessage", sqlite3_column_int(st, 1));
        b64 = base64(sqlite3_column_blob(st, 5), sqlite3_column_bytes(st, 5));
        item = b64 != NULL ? json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)next,
                                       "type", type, "guid", sqlite3_column_text(st, 2), "docGuid",
                                       sqlite3_column_text(st, 3), "status",
                                       sqlite3_column_text(st, 4), "xml", b64)
                           : NULL;
        free(b64);
        if (item == NULL || json_array_append_new(list, item) != 0) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == CG_OK && r != SQLITE_ROW && r != SQLITE_DONE)
        rc = cg_db_fail(p->rdb, r, "receipts", err);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&p->rlock);
    if (rc != CG_OK) {
        json_decref(list);
        return rc;
    }
    return dump(
        json_pack("{s:o, s:I, s:b}", "receipts", list, "next", (json_int_t)next, "more", full), out,
        err);
}
