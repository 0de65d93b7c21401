/*
 * spool-plan.c - the kinds of document the spool declares for an order, as data: which
 * message, when the order needs it, what content it carries and its business key.
 *
 * The planner (spool-file.c) walks this table for every order; a new export document (CEB403,
 * 509, 607, 701, 605, 213) is one more entry here and one more builder in declare/, not
 * another branch in the planner. Pure functions; the strings returned are borrowed from the job.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "spool/spool-int.h"

static bool always(const struct cg_order *o)
{
    (void)o;
    return true;
}

static bool with_shipment(const struct cg_order *o)
{
    return o->has_shipment;
}

static bool with_payment(const struct cg_order *o)
{
    return o->has_payment;
}

/* [seller] payments = shop: the order file's payment columns are the payment record. */
static bool payments_from_shop(const struct cg_seller *s)
{
    return s != NULL && s->payments != NULL && strcmp(s->payments, "shop") == 0;
}

static const char *key_order_no(const struct spool_job *j)
{
    return j->order->order_no;
}

/* The waybill's key is the tracking number; the order number until one is known. */
static const char *key_logistics_no(const struct spool_job *j)
{
    if (j->order->has_shipment && j->order->ship.logistics_no != NULL)
        return j->order->ship.logistics_no;
    return j->order->order_no;
}

static const char *key_cop_no(const struct spool_job *j)
{
    return j->cop_no;
}

static void hash_order_only(struct cg_order *o, char out[65]);

/*
 * CEB505: what the waybill carries (declare-build.c, logistics()): the shipment, the currency,
 * the note and the names of the lines (goodsInfo). A changed price leaves it unchanged.
 */
static void hash_waybill(struct cg_order *o, char out[65])
{
    struct cg_buf b;
    size_t i;

    cg_buf_init(&b, 1024 * 1024);
    cg_buf_addf(&b, "505\x1f%s\x1f%s\x1f%s\x1f%lld\x1f%lld\x1f%lld\x1f%ld\x1f%s\x1f%s",
                o->ship.logistics_code != NULL ? o->ship.logistics_code : "",
                o->ship.logistics_name != NULL ? o->ship.logistics_name : "",
                o->ship.logistics_no != NULL ? o->ship.logistics_no : "",
                (long long)o->ship.freight, (long long)o->ship.insured_fee,
                (long long)o->ship.gross_weight, o->ship.pack_no, o->currency,
                o->note != NULL ? o->note : "");
    for (i = 0; i < o->nlines; i++)
        cg_buf_addf(&b, "\x1e%s\x1f%s", o->lines[i].gname != NULL ? o->lines[i].gname : "",
                    o->lines[i].item_name != NULL ? o->lines[i].item_name : "");
    if (b.data == NULL) {
        /* Out of memory: the full hash declares more than needed, never less. */
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    cg_sha256_hex(cg_buf_str(&b), b.len, out);
    cg_buf_free(&b);
}

/*
 * CEB403: what the payment receipt carries (declare-build.c): the payment record, the order's
 * currency and note. The order number and the seller's ebcCode are the CEB303's by
 * construction, so customs finds the two agreeing. A changed amount declares it again.
 */
static void hash_payment(struct cg_order *o, char out[65])
{
    struct cg_buf b;

    cg_buf_init(&b, 64 * 1024);
    cg_buf_addf(&b, "403\x1f%s\x1f%s\x1f%s\x1f%lld\x1f%s\x1f%s\x1f%s",
                o->pay.pay_code != NULL ? o->pay.pay_code : "",
                o->pay.pay_name != NULL ? o->pay.pay_name : "",
                o->pay.pay_no != NULL ? o->pay.pay_no : "", (long long)o->pay.charge,
                o->pay.accounting_date, o->currency, o->note != NULL ? o->note : "");
    if (b.data == NULL) {
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    cg_sha256_hex(cg_buf_str(&b), b.len, out);
    cg_buf_free(&b);
}

/*
 * CEB603: everything of the order (the inventory carries lines, prices and shipment) but the
 * payment record, which has a CEB403 of its own. Without one this is the order's hash.
 */
static void hash_full(struct cg_order *o, char out[65])
{
    char *json;

    if (!o->has_payment) {
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    o->has_payment = false;
    json = cg_order_canonical(o);
    o->has_payment = true;
    if (json == NULL) {
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    cg_sha256_hex(json, strlen(json), out);
    free(json);
}

/*
 * In declaration order: all of an order's documents go out in one unit of work. A document is
 * declared again only when what it carries changed (its content_hash).
 */
const struct spool_doc_kind spool_doc_kinds[] = {
    {CG_MSG_ORDER, always, hash_order_only, key_order_no, NULL},
    {CG_MSG_RECEIPTS, with_payment, hash_payment, key_order_no, payments_from_shop},
    {CG_MSG_WAYBILL, with_shipment, hash_waybill, key_logistics_no, NULL},
    {CG_MSG_INVENTORY, with_shipment, hash_full, key_cop_no, NULL},
};
const size_t spool_ndoc_kinds = sizeof(spool_doc_kinds) / sizeof(spool_doc_kinds[0]);

const struct spool_doc_kind *spool_doc_kind_of(int msg_type)
{
    size_t i;

    for (i = 0; i < spool_ndoc_kinds; i++) {
        if (spool_doc_kinds[i].msg_type == msg_type)
            return &spool_doc_kinds[i];
    }
    return NULL;
}

/*
 * CEB303: the order's canonical content without shipment and payment data. The source file,
 * line and full hash stay out, so shipment data arriving later, or a changed payment record
 * (a CEB403 of its own), leaves it unchanged.
 */
static void hash_order_only(struct cg_order *o, char out[65])
{
    bool had = o->has_shipment, paid = o->has_payment;
    char *json;

    o->has_shipment = false;
    o->has_payment = false;
    json = cg_order_canonical(o);
    o->has_shipment = had;
    o->has_payment = paid;
    if (json == NULL) {
        cg_strlcpy(out, o->hash, 65);
        return;
    }
    cg_sha256_hex(json, strlen(json), out);
    free(json);
}

void spool_cop_no(const struct cg_order *o, char out[32])
{
    struct cg_buf b;
    char h[65];

    cg_buf_init(&b, 4096);
    cg_buf_addf(&b, "%s\x1f%s", o->seller != NULL ? o->seller : "", o->order_no);
    cg_sha256_hex(cg_buf_str(&b), b.len, h);
    cg_buf_free(&b);
    snprintf(out, 32, "C%.20s", h);
}
