/*
 * spool-return.c - the return of exported goods (CEB213 export return request): the rules, the
 * lines taken from the inventory as it was declared, the message and its record.
 *
 * The lines (gcode, gname, gmodel, quantities and units) must be those of the original
 * inventory, so they are read from the CEB603 message cebgate sent (archive/, or outbox/ for
 * the folder transport), not from today's catalogue; a message no longer kept (archive_days)
 * refuses the return with that reason. A partial return names lines and quantities; the legal
 * quantities are scaled to the returned quantity and rounded down at the 5th decimal, so they
 * are never above the inventory's (table 2-59: "不大于原清单"). The return is one more
 * document of the order (msg_type 213, business key coElNo "R" + the inventory's copNo
 * digits), declared by spool_declare_one() with its flow_returns row in the same unit of work.
 * Refusals are CG_EREJECT (customs' rule) or CG_EINVAL (the operator's lines), nothing written.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/money.h"
#include "spool/spool-int.h"
#include "store/store-flow.h"

struct ret_docs {
    int64_t inv_id;
    int inv_version, inv_state, ret_state, ret_version;
    bool has_inv, has_ret;
    char cop_no[64], invt_no[32];
    char ret_pre_no[32]; /* the E-Port's number of the last return, "" when none */
};

static int ret_doc_seen(const struct cg_store_doc *d, void *vctx)
{
    struct ret_docs *r = vctx;

    if (d->msg_type == CG_MSG_INVENTORY) {
        r->has_inv = true;
        r->inv_id = d->id;
        r->inv_version = d->version;
        r->inv_state = cg_doc_state_parse(d->state);
        cg_strlcpy(r->cop_no, d->business_key != NULL ? d->business_key : "", sizeof(r->cop_no));
        cg_strlcpy(r->invt_no, d->invt_no != NULL ? d->invt_no : "", sizeof(r->invt_no));
    } else if (d->msg_type == CG_MSG_RETURN) {
        r->has_ret = true;
        r->ret_state = cg_doc_state_parse(d->state);
        r->ret_version = d->version;
        cg_strlcpy(r->ret_pre_no, d->pre_no != NULL ? d->pre_no : "", sizeof(r->ret_pre_no));
    }
    return CG_OK;
}

static int return_allowed(const char *order_no, const struct ret_docs *r, struct cg_err *err)
{
    if (!r->has_inv)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: no export inventory (CEB603) was declared: a return "
                          "(CEB213) names the exported inventory by its invtNo",
                          order_no);
    if (r->inv_state == CG_DOC_CANCELLED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: the inventory %s was cancelled: the goods never left, there "
                          "is nothing to return",
                          order_no, r->invt_no);
    if ((r->inv_state != CG_DOC_RELEASED && r->inv_state != CG_DOC_CLOSED) || r->invt_no[0] == '\0')
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: the inventory is %s: only exported goods (inventory released "
                          "or closed, its invtNo known) can be returned; before that, cancel it "
                          "(cebgate cancel)",
                          order_no, cg_doc_state_name(r->inv_state));
    if (r->has_ret && r->ret_state != CG_DOC_REJECTED)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: a return (CEB213 version %d) was already declared and is %s: "
                          "one return per order",
                          order_no, r->ret_version, cg_doc_state_name(r->ret_state));
    return CG_OK;
}

/* The inventory's lines and head values as declared. */
struct inv_line {
    long gnum;
    char *gcode, *gname, *gmodel, *unit, *unit1, *unit2;
    int64_t qty, qty1, qty2;
};
struct inv_msg {
    struct inv_line *l;
    size_t n;
    char *logistics_no, *logistics_code, *logistics_name, *country;
    char *statistics_flag; /* A or B, as declared */
};

static void inv_msg_free(struct inv_msg *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        free(m->l[i].gcode);
        free(m->l[i].gname);
        free(m->l[i].gmodel);
        free(m->l[i].unit);
        free(m->l[i].unit1);
        free(m->l[i].unit2);
    }
    free(m->l);
    free(m->logistics_no);
    free(m->logistics_code);
    free(m->logistics_name);
    free(m->country);
    free(m->statistics_flag);
}

static bool is_ceb(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrEqual(n->ns->href, (const xmlChar *)CG_NS_CEB) &&
           xmlStrEqual(n->name, (const xmlChar *)name);
}

/* The text of parent's child element name (caller frees), NULL when absent. */
static char *child_text(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c;

    for (c = parent->children; c != NULL; c = c->next) {
        if (is_ceb(c, name)) {
            xmlChar *t = xmlNodeGetContent(c);
            char *v = cg_strdup(t != NULL ? (const char *)t : "");
            xmlFree(t);
            return v;
        }
    }
    return NULL;
}

static int64_t child_dec(xmlNodePtr parent, const char *name)
{
    char *t = child_text(parent, name);
    int64_t v = 0;

    if (t != NULL && cg_dec_parse(t, &v) != CG_OK)
        v = 0;
    free(t);
    return v;
}

static xmlNodePtr first_ceb(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c;

    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (is_ceb(c, name))
            return c;
    return NULL;
}

static int inv_from_doc(xmlDocPtr doc, struct inv_msg *m, struct cg_err *err)
{
    xmlNodePtr inv = first_ceb(xmlDocGetRootElement(doc), "Inventory");
    xmlNodePtr head = first_ceb(inv, "InventoryHead");
    xmlNodePtr c;

    if (head == NULL)
        return CG_ERR_SET(err, CG_EPARSE, "no Inventory/InventoryHead");
    m->logistics_no = child_text(head, "logisticsNo");
    m->logistics_code = child_text(head, "logisticsCode");
    m->logistics_name = child_text(head, "logisticsName");
    m->country = child_text(head, "country");
    m->statistics_flag = child_text(head, "statisticsFlag");
    for (c = inv->children; c != NULL; c = c->next) {
        struct inv_line *grown, *l;
        char *g;

        if (!is_ceb(c, "InventoryList"))
            continue;
        grown = realloc(m->l, (m->n + 1) * sizeof(*grown));
        if (grown == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        m->l = grown;
        l = &m->l[m->n++];
        memset(l, 0, sizeof(*l));
        g = child_text(c, "gnum");
        l->gnum = g != NULL ? strtol(g, NULL, 10) : 0;
        free(g);
        l->gcode = child_text(c, "gcode");
        l->gname = child_text(c, "gname");
        l->gmodel = child_text(c, "gmodel");
        l->unit = child_text(c, "unit");
        l->unit1 = child_text(c, "unit1");
        l->unit2 = child_text(c, "unit2");
        l->qty = child_dec(c, "qty");
        l->qty1 = child_dec(c, "qty1");
        l->qty2 = child_dec(c, "qty2");
    }
    return CG_OK;
}

/* Read the current version of the inventory as it was sent. */
static int inv_load(struct cg_spool *sp, const char *order_no, const struct ret_docs *r,
                    struct inv_msg *m, struct cg_err *err)
{
    xmlDocPtr doc = NULL;
    char name[256];
    int rc;

    rc = spool_sent_load(sp, r->inv_id, r->inv_version, &doc, name, sizeof(name), err);
    if (rc == CG_ENOTFOUND && name[0] == '\0')
        return CG_ERR_SET(err, CG_EREJECT, "order %s: the inventory's message is not recorded",
                          order_no);
    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_EREJECT,
                          "order %s: the inventory's message %s is no longer in archive/ "
                          "([spool] archive_days): its lines cannot be read back",
                          order_no, name);
    if (rc != CG_OK)
        return rc;
    rc = inv_from_doc(doc, m, err);
    xmlFreeDoc(doc);
    return rc;
}

/*
 * The lines returned: spec NULL or "" every line whole, else "GNUM[:QTY],...". Fills items
 * (m->n at most) and the record's text "gnum:qty,...".
 */
static int pick_lines(const char *order_no, const struct inv_msg *m, const char *spec,
                      struct cg_refund_item *items, size_t *n, struct cg_buf *text,
                      struct cg_err *err)
{
    char *copy = cg_strdup(spec != NULL ? spec : "");
    char *save = NULL, *tok;
    size_t i;
    int rc = CG_OK;

    if (copy == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    *n = 0;
    if (copy[0] == '\0') {
        /* no --lines: every line of the inventory, its whole quantity */
        for (i = 0; i < m->n; i++) {
            const struct inv_line *x = &m->l[i];
            char q[CG_DEC_STRMAX];

            items[i] = (struct cg_refund_item){(int)x->gnum, x->gcode, x->gname, x->gmodel,
                                               x->unit,      x->unit1, x->unit2, x->qty,
                                               x->qty1,      x->qty2,  NULL};
            cg_dec_format(x->qty, 0, q, sizeof(q));
            cg_buf_addf(text, "%s%ld:%s", i > 0 ? "," : "", x->gnum, q);
        }
        *n = m->n;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        const struct inv_line *l = NULL;
        char *colon = strchr(tok, ':');
        char *end = NULL;
        long gnum = strtol(tok, &end, 10);
        int64_t qty;
        char q[CG_DEC_STRMAX];

        if (end == tok || (end != NULL && *end != '\0' && *end != ':') || gnum <= 0) {
            rc = CG_ERR_SET(err, CG_EINVAL, "order %s: --lines: '%s' is not GNUM or GNUM:QTY",
                            order_no, tok);
            break;
        }
        for (i = 0; i < m->n && l == NULL; i++)
            if (m->l[i].gnum == gnum)
                l = &m->l[i];
        if (l == NULL) {
            rc = CG_ERR_SET(err, CG_EINVAL, "order %s: --lines: the inventory has no line %ld",
                            order_no, gnum);
            break;
        }
        for (i = 0; i < *n; i++)
            if (items[i].gnum == gnum)
                break;
        if (i < *n) {
            rc = CG_ERR_SET(err, CG_EINVAL, "order %s: --lines: line %ld named twice", order_no,
                            gnum);
            break;
        }
        qty = l->qty;
        if (colon != NULL && (cg_dec_parse(colon + 1, &qty) != CG_OK || qty <= 0)) {
            rc = CG_ERR_SET(err, CG_EINVAL,
                            "order %s: --lines: line %ld: quantity '%s' is not a positive "
                            "number of at most 5 decimals",
                            order_no, gnum, colon + 1);
            break;
        }
        if (qty > l->qty) {
            char was[CG_DEC_STRMAX];
            cg_dec_format(qty, 0, q, sizeof(q));
            cg_dec_format(l->qty, 0, was, sizeof(was));
            rc = CG_ERR_SET(err, CG_EINVAL,
                            "order %s: --lines: line %ld: %s is more than the %s declared (a "
                            "return is never above the inventory)",
                            order_no, gnum, q, was);
            break;
        }
        items[*n] =
            (struct cg_refund_item){(int)gnum, l->gcode, l->gname, l->gmodel, l->unit, l->unit1,
                                    l->unit2,  qty,      l->qty1,  l->qty2,   NULL};
        if (qty != l->qty) {
            /* Legal quantities in proportion, rounded down: never above the inventory's. */
            items[*n].qty1 = (int64_t)((__int128)l->qty1 * qty / l->qty);
            items[*n].qty2 = (int64_t)((__int128)l->qty2 * qty / l->qty);
        }
        cg_dec_format(qty, 0, q, sizeof(q));
        cg_buf_addf(text, "%s%ld:%s", *n > 0 ? "," : "", gnum, q);
        (*n)++;
    }
    free(copy);
    if (rc == CG_OK && *n == 0)
        rc = CG_ERR_SET(err, CG_EINVAL, "order %s: no line to return", order_no);
    if (rc == CG_OK && text->data == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return rc;
}

struct ret_record {
    int64_t order_id;
    const char *lines, *reason;
};

/*
 * The return recorded with its document. An order its shop cancelled after its goods left is
 * listed as needing a cancellation, which customs no longer allows: the return is what answers
 * it, so that record is done too (cebgate status --cancel, the morning report).
 */
static int return_record(struct cg_store *st, int64_t doc_id, void *ctx, struct cg_err *err)
{
    struct ret_record *r = ctx;
    int rc = cg_store_return_put(st, r->order_id, doc_id, r->lines, r->reason, err);

    return rc == CG_OK ? cg_store_cancel_done(st, r->order_id, err) : rc;
}

static const char *or_given(const char *given, const char *dflt)
{
    return given != NULL && given[0] != '\0' ? given : dflt;
}

int cg_spool_return(struct cg_spool *sp, const char *seller, const char *order_no,
                    const struct cg_spool_return_req *rq, struct cg_err *err)
{
    struct ret_docs d;
    struct inv_msg m;
    struct cg_refund_item *items = NULL;
    struct cg_invt_refund r;
    struct ret_record rec;
    struct spool_job j;
    struct cg_buf text, hash;
    char who[256], hash_hex[65], co_el_no[40];
    char hashbuf[65];
    int64_t order_id = 0;
    size_t n = 0;
    int rc;

    memset(&d, 0, sizeof(d));
    memset(&m, 0, sizeof(m));
    memset(&j, 0, sizeof(j));
    cg_buf_init(&text, 64 * 1024);
    cg_buf_init(&hash, 128 * 1024);
    if (rq->reason == NULL || rq->reason[0] == '\0' || rq->traf_name == NULL ||
        rq->traf_name[0] == '\0' || rq->voyage_no == NULL || rq->voyage_no[0] == '\0') {
        rc = CG_ERR_SET(err, CG_EINVAL,
                        "order %s: a return needs a reason, the vessel or flight (trafName) and "
                        "the voyage (voyageNo)",
                        order_no);
        goto done;
    }
    if (seller == NULL) {
        rc = spool_order_seller(sp, order_no, who, sizeof(who), err);
        if (rc != CG_OK)
            goto done;
        seller = who;
    }
    rc = cg_store_order_find(sp->store, seller, order_no, &order_id, hashbuf, err);
    if (rc == CG_ENOTFOUND)
        rc = CG_ERR_SET(err, CG_ENOTFOUND, "order %s: not declared", order_no);
    if (rc == CG_OK)
        rc = cg_store_order_docs(sp->store, order_id, ret_doc_seen, &d, err);
    if (rc == CG_OK)
        rc = return_allowed(order_no, &d, err);
    if (rc == CG_OK)
        rc = inv_load(sp, order_no, &d, &m, err);
    if (rc != CG_OK)
        goto done;
    items = calloc(m.n > 0 ? m.n : 1, sizeof(*items));
    if (items == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = pick_lines(order_no, &m, rq->lines, items, &n, &text, err);
    if (rc != CG_OK)
        goto done;
    snprintf(co_el_no, sizeof(co_el_no), "R%s", d.cop_no + (d.cop_no[0] != '\0'));
    memset(&r, 0, sizeof(r));
    r.co_el_no = co_el_no;
    r.invt_no = d.invt_no;
    r.logistics_no = or_given(rq->logistics_no, m.logistics_no);
    r.logistics_code = or_given(rq->logistics_code, m.logistics_code);
    r.logistics_name = or_given(rq->logistics_name, m.logistics_name);
    r.bill_no = or_given(rq->bill_no, r.logistics_no); /* table 2-59: none, the waybill's */
    r.traf_name = rq->traf_name;
    r.voyage_no = rq->voyage_no;
    r.traf_mode = or_given(rq->traf_mode, NULL);
    r.port_code = or_given(rq->port_code, NULL);
    r.country = m.country;
    r.reason = rq->reason;
    r.items = items;
    r.nitems = n;
    j.sel = spool_seller_get(sp, seller);
    if (j.sel == NULL || j.sel->problem != NULL) {
        rc = CG_ERR_SET(err, j.sel == NULL ? CG_ENOMEM : CG_ECONFIG, "%s",
                        j.sel == NULL ? "out of memory" : j.sel->problem);
        goto done;
    }
    j.msg_type = CG_MSG_RETURN;
    /* After a refusal the next version changes the stored one (appType 2, its preNo); it is an
     * add again only when the E-Port refused it before storing it (no preNo came back). */
    j.app_type = d.has_ret && d.ret_pre_no[0] != '\0' ? CG_APP_MODIFY : CG_APP_ADD;
    r.pre_no = j.app_type == CG_APP_MODIFY ? d.ret_pre_no : NULL;
    j.version = d.has_ret ? d.ret_version + 1 : 1;
    cg_guid_new(j.guid);
    r.guid = j.guid;
    r.app_type = j.app_type;
    cg_strlcpy(j.cop_no, d.cop_no, sizeof(j.cop_no));
    j.refund = &r;
    cg_buf_addf(&hash, "213\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", cg_buf_str(&text), rq->reason,
                r.bill_no != NULL ? r.bill_no : "", r.traf_name, r.voyage_no);
    if (hash.data == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    cg_sha256_hex(cg_buf_str(&hash), hash.len, hash_hex);
    cg_strlcpy(j.content_hash, hash_hex, sizeof(j.content_hash));
    rec.order_id = order_id;
    rec.lines = cg_buf_str(&text);
    rec.reason = rq->reason;
    rc = spool_declare_one(sp, &j, order_id, co_el_no, return_record, &rec, err);
done:
    free(j.error);
    free(items);
    inv_msg_free(&m);
    cg_buf_free(&text);
    cg_buf_free(&hash);
    return rc;
}

int spool_inventory_country(struct cg_spool *sp, const char *order_no, int64_t inv_id,
                            int inv_version, char *out, size_t size, char *flag, size_t fsize,
                            struct cg_err *err)
{
    struct ret_docs d;
    struct inv_msg m;
    int rc;

    memset(&d, 0, sizeof(d));
    memset(&m, 0, sizeof(m));
    d.inv_id = inv_id;
    d.inv_version = inv_version;
    rc = inv_load(sp, order_no, &d, &m, err);
    if (rc == CG_OK) {
        cg_strlcpy(out, m.country != NULL ? m.country : "", size);
        cg_strlcpy(flag, m.statistics_flag != NULL ? m.statistics_flag : "", fsize);
    }
    inv_msg_free(&m);
    return rc;
}
