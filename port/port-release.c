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
    int64_t sched_id;
    int64_t doc_id;
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

int cg_port_summary_inventories(struct cg_port *p, int64_t doc_id, const json_t *ent, json_t **out,
                                bool *over, struct cg_err *err)
{
    json_t *arr = json_array();
    json_t *seen = json_object();
    json_t *inv;
    const json_t *it;
    const char *invt;
    char *doc = NULL;
    size_t lines = 0;
    size_t n;
    size_t i;
    int rc = CG_OK;

    *over = false;
    if (arr == NULL || seen == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(json_object_get(ent, "items"), i, it)
    {
        /* a repeated invtNo is refused when the summary is checked; one stored before that
         * rule still gets each inventory once */
        invt = cg_port_field(it, "invtNo");
        if (json_object_get(seen, invt) != NULL)
            continue;
        if (json_object_set_new(seen, invt, json_true()) != 0) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        rc = cg_store_port_inventory(p->db, invt, doc_id, &doc, err);
        if (rc == CG_ENOTFOUND) {
            rc = CG_OK;
            continue;
        }
        if (rc != CG_OK)
            goto done;
        inv = json_loads(doc, 0, NULL);
        free(doc);
        doc = NULL;
        if (inv == NULL)
            continue;
        n = json_array_size(json_object_get(inv, "items"));
        if (lines + n > (size_t)p->max_summary_lines) {
            json_decref(inv);
            *over = true;
            break;
        }
        lines += n;
        if (json_array_append_new(arr, inv) != 0) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
    }
    *out = arr;
    arr = NULL;
done:
    json_decref(seen);
    json_decref(arr);
    return rc;
}

static int publish_one(struct cg_port *p, const struct due *d, int64_t now, struct cg_err *err)
{
    const struct cg_port_kind *k = cg_port_kind_find(d->req_type);
    xmlDocPtr rdoc = NULL;
    json_t *ent = NULL;
    json_t *invs = NULL;
    bool over = false;
    char guid[40];
    char t17[18];
    char status[16];
    int rc;

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
        rc = cg_port_summary_inventories(p, d->doc_id, ent, &invs, &over, err);
        /* checked when the summary was accepted; its inventories may have changed since */
        if (rc == CG_OK && over)
            cg_warn("port: the inventories of summary document %lld have more than %ld lines "
                    "(max_summary_lines); its CEB792 carries those that fit",
                    (long long)d->doc_id, p->max_summary_lines);
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
    rc = cg_store_port_schedule_done(p->db, d->sched_id, d->doc_id,
                                     d->receipt_type == 792 ? -1 : d->status, d->last != 0, err);
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

/* One due row, copied (the row's strings are the store's only during the call). */
struct due_list {
    struct due *d;
    size_t n;
};

static int take_due(const struct cg_store_port_due *row, void *vctx)
{
    struct due_list *l = vctx;
    struct due *grown = realloc(l->d, (l->n + 1) * sizeof(*l->d));

    if (grown == NULL)
        return CG_ENOMEM;
    l->d = grown;
    memset(&l->d[l->n], 0, sizeof(l->d[l->n]));
    l->d[l->n].sched_id = row->sched_id;
    l->d[l->n].doc_id = row->doc_id;
    l->d[l->n].receipt_type = row->receipt_type;
    l->d[l->n].status = row->status;
    l->d[l->n].last = row->last ? 1 : 0;
    l->d[l->n].req_type = row->req_type;
    l->d[l->n].info = cg_strdup(row->info);
    l->d[l->n].doc = cg_strdup(row->doc_json);
    l->n++;
    return l->d[l->n - 1].info == NULL || l->d[l->n - 1].doc == NULL ? CG_ENOMEM : CG_OK;
}

static int release_tx(struct cg_store_port *db, void *vctx, struct cg_err *err)
{
    struct release_ctx *rc = vctx;
    struct due_list l = {NULL, 0};
    size_t i;
    int ret;

    ret = cg_store_port_due(db, rc->now, RELEASE_BATCH, take_due, &l, err);
    if (ret == CG_ENOMEM)
        ret = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; i < l.n && ret == CG_OK; i++)
        ret = publish_one(rc->p, &l.d[i], rc->now, err);
    if (ret == CG_OK)
        rc->n = l.n;
    dues_free(l.d, l.n);
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
        ret = cg_store_port_tx(p->db, release_tx, &rc, err);
        *n += rc.n;
    } while (ret == CG_OK && rc.n == RELEASE_BATCH);
    cg_store_port_reset(p->db);
    pthread_mutex_unlock(&p->wlock);
    return ret;
}

/* Earliest due time of a planned receipt, or -1 when none (or when it cannot be read). */
int64_t cg_port_next_due(struct cg_port *p)
{
    struct cg_err err;
    int64_t due = -1;

    cg_err_clear(&err);
    if (cg_store_port_next_due(p->db, &due, &err) != CG_OK)
        due = -1;
    return due;
}

/* ------------------------------------------------------------------ JSON */

/* The escape of the character at s in a JSON string, or NULL when it is written as it is. */
static const char *json_escape_of(const char *s)
{
    if (*s == '<')
        return "\\u003c";
    if (*s == '>')
        return "\\u003e";
    if (*s == '&')
        return "\\u0026";
    if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
        ((unsigned char)s[2] == 0xA8 || (unsigned char)s[2] == 0xA9))
        return (unsigned char)s[2] == 0xA8 ? "\\u2028" : "\\u2029";
    return NULL;
}

/*
 * obj (consumed) as compact JSON text. The answers quote message content (an order number in a
 * 4002, a value a schema error names): markup characters and the line and paragraph separators
 * are written as \u escapes, so no answer holds them raw whatever reads it. Outside strings
 * JSON has none of them, and a JSON reader decodes the same text.
 */
static int dump(json_t *obj, char **out, struct cg_err *err)
{
    char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    const char *esc;
    char *e;
    size_t extra = 0;
    size_t i;
    size_t o;

    json_decref(obj);
    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (i = 0; s[i] != '\0'; i++)
        if ((esc = json_escape_of(s + i)) != NULL)
            extra += 6;
    if (extra == 0) {
        *out = s;
        return CG_OK;
    }
    e = malloc(strlen(s) + extra + 1);
    if (e == NULL) {
        free(s);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    for (i = 0, o = 0; s[i] != '\0'; i++) {
        if ((esc = json_escape_of(s + i)) == NULL) {
            e[o++] = s[i];
            continue;
        }
        memcpy(e + o, esc, 6);
        o += 6;
        if (*esc == '\\' && esc[2] == '2')
            i += 2; /* the two other bytes of U+2028 or U+2029 */
    }
    e[o] = '\0';
    free(s);
    *out = e;
    return CG_OK;
}

/* accepted; retry: send the same again later (500, 503, and 429 for sender_daily_max); else
 * rejected */
static const char *result_of(const struct cg_port_result *res)
{
    if (strcmp(res->code, "0000") == 0)
        return "accepted";
    if (res->http_status == 500 || res->http_status == 503 || res->http_status == 429)
        return "retry";
    return "rejected";
}

int cg_port_result_json(const struct cg_port_result *res, char **out, struct cg_err *err)
{
    json_t *docs = json_array();
    json_t *d;
    char type[16];
    size_t i;
    const char *result = result_of(res);

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

static char *base64(const void *p, int len)
{
    char *out = malloc((size_t)(len + 2) / 3 * 4 + 1);

    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, len);
    return out;
}

struct page_ctx {
    json_t *list;
    int limit;
    size_t max_bytes;
    size_t bytes;
    int rows;
    int64_t next;
    bool full;
};

static int add_receipt(const struct cg_store_port_receipt *r, void *vctx)
{
    struct page_ctx *pc = vctx;
    /* base64 is 4/3 of the bytes; a page is cut before the byte ceiling, never empty */
    size_t add = r->len / 3 * 4 + 256;
    char type[24];
    char *b64;
    json_t *item;

    if (++pc->rows > pc->limit || (pc->rows > 1 && pc->bytes + add > pc->max_bytes)) {
        pc->full = true;
        return 1; /* stop: the page is full */
    }
    pc->bytes += add;
    pc->next = r->id;
    snprintf(type, sizeof(type), "CEB%dMessage", r->type);
    b64 = base64(r->xml, (int)r->len);
    item = b64 != NULL ? json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id,
                                   "type", type, "guid", r->msg_guid, "docGuid", r->doc_guid,
                                   "status", r->status, "xml", b64)
                       : NULL;
    free(b64);
    if (item == NULL || json_array_append_new(pc->list, item) != 0)
        return CG_ENOMEM;
    return CG_OK;
}

int cg_port_receipts_json(struct cg_port *p, const char *sender, int64_t since, int limit,
                          char **out, struct cg_err *err)
{
    struct page_ctx pc = {json_array(), limit, p->receipts_page_bytes, 0, 0, since, false};
    int rc;

    if (pc.list == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->rlock);
    rc = cg_store_port_receipts(p->rdb, sender, since, limit + 1, add_receipt, &pc, err);
    cg_store_port_reset(p->rdb);
    pthread_mutex_unlock(&p->rlock);
    if (rc == 1)
        rc = CG_OK;
    else if (rc == CG_ENOMEM)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc != CG_OK) {
        json_decref(pc.list);
        return rc;
    }
    return dump(json_pack("{s:o, s:I, s:b}", "receipts", pc.list, "next", (json_int_t)pc.next,
                          "more", pc.full),
                out, err);
}
