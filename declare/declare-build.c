/*
 * declare-build.c - building the order-based CEB messages (CEB303 order, CEB403 payment
 * receipt, CEB505 waybill, CEB603 export inventory) and the helpers every builder shares.
 *
 * Documents are libxml2 trees: the root is <ceb:CEBnnnMessage guid version="1.0"> declaring
 * xmlns:ceb and xmlns:xsi only (as the official samples, and what byte-compatible signing
 * expects), then 1..100 entities in schema order, then BaseTransfer. Values come from the order
 * model (mapping/), the seller profile and the BaseTransfer of the configuration; what comes from
 * where is in docs/messages.md. A missing required value, a value that is not UTF-8 or holds
 * control characters, or an add/modify/delete rule broken, stops the build with
 * "order <no>: element <name>: reason"; lengths and formats are the schema's to check
 * (cg_msg_validate). The caller owns the returned document; nothing is validated or signed here.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "core/buf.h"
#include "core/money.h"
#include "declare/declare-msg-int.h"

void bld_fail(struct bld *b, int code, const char *name, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    if (b->rc != CG_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    b->rc = code;
    if (name != NULL)
        cg_err_setf(b->err, code, "cg_build", "%s%selement %s: %s", b->who,
                    b->who[0] != '\0' ? ": " : "", name, reason);
    else
        cg_err_setf(b->err, code, "cg_build", "%s%s%s", b->who, b->who[0] != '\0' ? ": " : "",
                    reason);
}

void bld_who(struct bld *b, const char *kind, const char *key)
{
    snprintf(b->who, sizeof(b->who), "%s %s", kind, key != NULL && key[0] != '\0' ? key : "?");
}

xmlNodePtr bld_el(struct bld *b, xmlNodePtr parent, const char *name)
{
    xmlNodePtr n;

    if (b->rc != CG_OK)
        return NULL;
    n = xmlNewChild(parent, b->ns, (const xmlChar *)name, NULL);
    if (n == NULL)
        bld_fail(b, CG_ENOMEM, name, "out of memory");
    return n;
}

/* Text XML can carry: valid UTF-8, no C0 control characters but tab, LF and CR. */
static bool text_ok(const char *v)
{
    const unsigned char *p;

    if (!xmlCheckUTF8((const unsigned char *)v))
        return false;
    for (p = (const unsigned char *)v; *p != '\0'; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

static void add_text(struct bld *b, xmlNodePtr parent, const char *name, const char *v)
{
    if (b->rc != CG_OK || parent == NULL)
        return;
    if (!text_ok(v)) {
        bld_fail(b, CG_EINVAL, name, "value is not valid UTF-8 text");
        return;
    }
    /* xmlNewTextChild escapes &, < and > itself. */
    if (xmlNewTextChild(parent, b->ns, (const xmlChar *)name, (const xmlChar *)v) == NULL)
        bld_fail(b, CG_ENOMEM, name, "out of memory");
}

void bld_req(struct bld *b, xmlNodePtr parent, const char *name, const char *value)
{
    if (b->rc != CG_OK)
        return;
    if (value == NULL || value[0] == '\0') {
        bld_fail(b, CG_EINVAL, name, "required value is missing");
        return;
    }
    add_text(b, parent, name, value);
}

void bld_opt(struct bld *b, xmlNodePtr parent, const char *name, const char *value)
{
    if (value != NULL && value[0] != '\0')
        add_text(b, parent, name, value);
}

void bld_dec(struct bld *b, xmlNodePtr parent, const char *name, int64_t v)
{
    char buf[CG_DEC_STRMAX];

    if (b->rc != CG_OK)
        return;
    if (cg_dec_format(v, 0, buf, sizeof(buf)) != CG_OK) {
        bld_fail(b, CG_ERANGE, name, "decimal cannot be formatted");
        return;
    }
    add_text(b, parent, name, buf);
}

void bld_long(struct bld *b, xmlNodePtr parent, const char *name, long v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%ld", v);
    add_text(b, parent, name, buf);
}

void bld_common_head(struct bld *b, xmlNodePtr parent, const char *guid, int app_type,
                     const char *app_status)
{
    char t[2];

    if (b->rc != CG_OK)
        return;
    if (guid == NULL || strlen(guid) != 36) {
        bld_fail(b, CG_EINVAL, "guid", "must be 36 characters");
        return;
    }
    if (app_type < CG_APP_ADD || app_type > CG_APP_DELETE) {
        bld_fail(b, CG_EINVAL, "appType", "%d is not 1 (add), 2 (modify) or 3 (delete)", app_type);
        return;
    }
    if (app_status == NULL || app_status[0] == '\0')
        app_status = "2";
    if (strcmp(app_status, "1") != 0 && strcmp(app_status, "2") != 0) {
        bld_fail(b, CG_EINVAL, "appStatus", "'%s' is not 1 (store) or 2 (declare)", app_status);
        return;
    }
    t[0] = (char)('0' + app_type);
    t[1] = '\0';
    bld_req(b, parent, "guid", guid);
    bld_req(b, parent, "appType", t);
    bld_req(b, parent, "appTime", b->app_time);
    bld_req(b, parent, "appStatus", app_status);
}

void bld_mod_key(struct bld *b, xmlNodePtr parent, const char *name, int app_type,
                 const char *value, bool need)
{
    if (app_type == CG_APP_ADD)
        return; /* an add never carries the numbers customs assigns */
    if (need && (value == NULL || value[0] == '\0')) {
        bld_fail(b, CG_EINVAL, name,
                 "appType %d (modify/delete) needs the %s learned from the receipt", app_type,
                 name);
        return;
    }
    bld_opt(b, parent, name, value);
}

xmlNodePtr bld_start(struct bld *b, int msg_type, const char *msg_guid, const char *version,
                     size_t n, struct cg_err *err)
{
    char name[32];
    xmlNodePtr root;

    memset(b, 0, sizeof(*b));
    b->err = err;
    if (version == NULL)
        version = "202205";
    if (!cg_schema_version_ok(version)) {
        bld_fail(b, CG_EINVAL, NULL, "schema version '%s': must be 202205 or 2018", version);
        return NULL;
    }
    b->v2018 = strcmp(version, "2018") == 0;
    if (n < 1 || n > CG_MSG_MAX_ENTITIES) {
        bld_fail(b, CG_EINVAL, NULL, "CEB%d: %zu entities; a message carries 1 to %d", msg_type, n,
                 CG_MSG_MAX_ENTITIES);
        return NULL;
    }
    if (msg_guid == NULL || strlen(msg_guid) != 36) {
        bld_fail(b, CG_EINVAL, NULL, "CEB%d: the message guid must be 36 characters", msg_type);
        return NULL;
    }
    cg_ceb_time(time(NULL), b->app_time);
    b->doc = xmlNewDoc((const xmlChar *)"1.0");
    if (b->doc == NULL) {
        bld_fail(b, CG_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    snprintf(name, sizeof(name), "CEB%03dMessage", msg_type);
    root = xmlNewDocNode(b->doc, NULL, (const xmlChar *)name, NULL);
    if (root == NULL) {
        bld_fail(b, CG_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    xmlDocSetRootElement(b->doc, root);
    b->ns = xmlNewNs(root, (const xmlChar *)CG_NS_CEB, (const xmlChar *)"ceb");
    if (b->ns == NULL ||
        xmlNewNs(root, (const xmlChar *)CG_NS_XSI, (const xmlChar *)"xsi") == NULL) {
        bld_fail(b, CG_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    xmlSetNs(root, b->ns);
    if (xmlNewProp(root, (const xmlChar *)"guid", (const xmlChar *)msg_guid) == NULL ||
        xmlNewProp(root, (const xmlChar *)"version", (const xmlChar *)"1.0") == NULL) {
        bld_fail(b, CG_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    return root;
}

void bld_base_transfer(struct bld *b, xmlNodePtr root, const struct cg_base_transfer *bt)
{
    xmlNodePtr t;

    b->who[0] = '\0';
    if (b->rc != CG_OK)
        return;
    if (bt == NULL) {
        bld_fail(b, CG_EINVAL, "BaseTransfer", "no BaseTransfer configured");
        return;
    }
    t = bld_el(b, root, "BaseTransfer");
    bld_req(b, t, "copCode", bt->cop_code);
    bld_req(b, t, "copName", bt->cop_name);
    bld_req(b, t, "dxpMode", "DXP");
    bld_req(b, t, "dxpId", bt->dxp_id);
    bld_opt(b, t, "note", bt->note);
}

int bld_finish(struct bld *b, xmlDocPtr *out)
{
    if (b->rc != CG_OK) {
        xmlFreeDoc(b->doc);
        b->doc = NULL;
        return b->rc;
    }
    *out = b->doc;
    b->doc = NULL;
    return CG_OK;
}

/* ------------------------------------------------------------------ order-based messages */

const char *cg_order_type_of(const char *trade_mode)
{
    if (trade_mode != NULL && strcmp(trade_mode, "9710") == 0)
        return "B";
    if (trade_mode != NULL && strcmp(trade_mode, "9810") == 0)
        return "W";
    return "E";
}

static void order_head(struct bld *b, xmlNodePtr e, const struct cg_doc_ref *r,
                       const struct cg_seller *sl)
{
    const struct cg_order *o = r->order;
    xmlNodePtr h = bld_el(b, e, "OrderHead");
    size_t i;

    bld_common_head(b, h, r->guid, r->app_type, r->app_status);
    /* 202205: E B2C, B B2B (9710), W overseas warehouse (9810); the 2018 edition knows E. */
    bld_req(b, h, "orderType", b->v2018 ? "E" : cg_order_type_of(sl->trade_mode));
    bld_req(b, h, "orderNo", o->order_no);
    bld_req(b, h, "ebpCode", sl->ebp_code);
    bld_req(b, h, "ebpName", sl->ebp_name);
    bld_req(b, h, "ebcCode", sl->ebc_code);
    bld_req(b, h, "ebcName", sl->ebc_name);
    bld_dec(b, h, "goodsValue", o->goods_value);
    bld_dec(b, h, "freight", o->freight);
    bld_req(b, h, "currency", o->currency);
    bld_opt(b, h, "note", o->note);
    for (i = 0; i < o->nlines && b->rc == CG_OK; i++) {
        const struct cg_order_line *l = &o->lines[i];
        xmlNodePtr li = bld_el(b, e, "OrderList");

        bld_long(b, li, "gnum", l->gnum);
        bld_req(b, li, "itemNo", l->sku);
        bld_req(b, li, "itemName", l->item_name);
        bld_opt(b, li, "itemDescribe", l->item_describe);
        bld_opt(b, li, "barCode", l->bar_code);
        bld_req(b, li, "unit", l->unit);
        bld_req(b, li, "currency", o->currency);
        bld_dec(b, li, "qty", l->qty);
        bld_dec(b, li, "price", l->price);
        bld_dec(b, li, "totalPrice", l->total);
    }
}

static void receipts(struct bld *b, xmlNodePtr e, const struct cg_doc_ref *r,
                     const struct cg_seller *sl)
{
    const struct cg_order *o = r->order;

    if (!o->has_payment) {
        bld_fail(b, CG_EINVAL, "payName", "the order has no payment data (CEB403 needs it)");
        return;
    }
    bld_common_head(b, e, r->guid, r->app_type, r->app_status);
    bld_req(b, e, "ebpCode", sl->ebp_code);
    bld_req(b, e, "ebpName", sl->ebp_name);
    bld_req(b, e, "ebcCode", sl->ebc_code);
    bld_req(b, e, "ebcName", sl->ebc_name);
    bld_req(b, e, "orderNo", o->order_no);
    bld_opt(b, e, "payCode", o->pay.pay_code);
    bld_req(b, e, "payName", o->pay.pay_name);
    bld_opt(b, e, "payNo", o->pay.pay_no);
    bld_dec(b, e, "charge", o->pay.charge);
    bld_req(b, e, "currency", o->currency);
    bld_req(b, e, "accountingDate", o->pay.accounting_date);
    bld_opt(b, e, "note", o->note);
}

/* goodsInfo: the declared names of the lines, "; "-joined, cut at 200 characters (not bytes). */
static void goods_info(struct bld *b, xmlNodePtr e, const struct cg_order *o)
{
    struct cg_buf g;
    size_t i, chars = 0, off = 0;
    const unsigned char *p;

    cg_buf_init(&g, 64 * 1024);
    for (i = 0; i < o->nlines; i++) {
        const char *name = o->lines[i].gname != NULL && o->lines[i].gname[0] != '\0'
                               ? o->lines[i].gname
                               : o->lines[i].item_name;
        if (name == NULL)
            continue;
        if (g.len > 0 && cg_buf_adds(&g, "; ") != CG_OK)
            break;
        if (cg_buf_adds(&g, name) != CG_OK)
            break;
    }
    p = (const unsigned char *)cg_buf_str(&g);
    while (p[off] != '\0' && chars < 200) {
        off++;
        while ((p[off] & 0xc0) == 0x80)
            off++;
        chars++;
    }
    if (g.data != NULL)
        g.data[off] = '\0';
    bld_req(b, e, "goodsInfo", cg_buf_str(&g));
    cg_buf_free(&g);
}

static void logistics(struct bld *b, xmlNodePtr e, const struct cg_doc_ref *r,
                      const struct cg_seller *sl)
{
    const struct cg_order *o = r->order;

    if (!o->has_shipment) {
        bld_fail(b, CG_EINVAL, "logisticsNo", "the order has no shipment data yet");
        return;
    }
    bld_common_head(b, e, r->guid, r->app_type, r->app_status);
    bld_req(b, e, "logisticsCode", o->ship.logistics_code);
    bld_req(b, e, "logisticsName", o->ship.logistics_name);
    bld_req(b, e, "logisticsNo", o->ship.logistics_no);
    bld_dec(b, e, "freight", o->ship.freight);
    bld_dec(b, e, "insuredFee", o->ship.insured_fee);
    bld_req(b, e, "currency", o->currency);
    bld_dec(b, e, "grossWeight", o->ship.gross_weight);
    bld_long(b, e, "packNo", o->ship.pack_no);
    goods_info(b, e, o);
    bld_opt(b, e, "ebcCode", sl->ebc_code);
    bld_opt(b, e, "ebcName", sl->ebc_name);
    bld_opt(b, e, "note", o->note);
}

static void inventory(struct bld *b, xmlNodePtr e, const struct cg_doc_ref *r,
                      const struct cg_seller *sl)
{
    const struct cg_order *o = r->order;
    xmlNodePtr h;
    char date[9];
    size_t i;

    if (!o->has_shipment) {
        bld_fail(b, CG_EINVAL, "logisticsNo", "the order has no shipment data yet");
        return;
    }
    cg_ceb_date(time(NULL), date);
    h = bld_el(b, e, "InventoryHead");
    bld_common_head(b, h, r->guid, r->app_type, r->app_status);
    bld_req(b, h, "customsCode", sl->customs_code);
    bld_req(b, h, "ebpCode", sl->ebp_code);
    bld_req(b, h, "ebpName", sl->ebp_name);
    bld_req(b, h, "orderNo", o->order_no);
    bld_req(b, h, "logisticsCode", o->ship.logistics_code);
    bld_req(b, h, "logisticsName", o->ship.logistics_name);
    bld_req(b, h, "logisticsNo", o->ship.logistics_no);
    bld_req(b, h, "copNo", r->cop_no);
    bld_mod_key(b, h, "preNo", r->app_type, r->pre_no, true);
    bld_mod_key(b, h, "invtNo", r->app_type, r->invt_no, false);
    bld_req(b, h, "ieFlag", "E");
    bld_req(b, h, "portCode", sl->port_code);
    bld_req(b, h, "ieDate", date);
    bld_req(b, h, "statisticsFlag", sl->statistics_flag);
    bld_req(b, h, "agentCode", sl->agent_code);
    bld_req(b, h, "agentName", sl->agent_name);
    bld_req(b, h, "ebcCode", sl->ebc_code);
    bld_req(b, h, "ebcName", sl->ebc_name);
    bld_req(b, h, "ownerCode", sl->owner_code);
    bld_req(b, h, "ownerName", sl->owner_name);
    if (sl->trade_mode != NULL && strcmp(sl->trade_mode, "1210") == 0) {
        bld_req(b, h, "iacCode", sl->iac_code);
        bld_req(b, h, "iacName", sl->iac_name);
        bld_req(b, h, "emsNo", sl->ems_no);
    }
    bld_req(b, h, "tradeMode", sl->trade_mode);
    bld_req(b, h, "trafMode", sl->traf_mode);
    bld_req(b, h, "country", o->country);
    bld_req(b, h, "POD", o->pod);
    bld_dec(b, h, "freight", o->freight);
    bld_req(b, h, "fCurrency", o->currency);
    bld_req(b, h, "fFlag", "3");
    bld_dec(b, h, "insuredFee", o->insured_fee);
    bld_req(b, h, "iCurrency", o->currency);
    bld_req(b, h, "iFlag", "3");
    bld_req(b, h, "wrapType", sl->wrap_type);
    bld_long(b, h, "packNo", o->ship.pack_no);
    bld_dec(b, h, "grossWeight", o->ship.gross_weight);
    bld_dec(b, h, "netWeight", o->ship.net_weight);
    bld_opt(b, h, "note", o->note);
    for (i = 0; i < o->nlines && b->rc == CG_OK; i++) {
        const struct cg_order_line *l = &o->lines[i];
        xmlNodePtr li = bld_el(b, e, "InventoryList");
        bool has2 = l->unit2[0] != '\0';

        bld_long(b, li, "gnum", l->gnum);
        bld_req(b, li, "itemNo", l->sku);
        bld_opt(b, li, "itemName", l->item_name);
        bld_req(b, li, "gcode", l->gcode);
        bld_req(b, li, "gname", l->gname);
        bld_req(b, li, "gmodel", l->gmodel);
        bld_req(b, li, "barCode",
                l->bar_code != NULL && l->bar_code[0] != '\0' ? l->bar_code : "无");
        bld_req(b, li, "country", o->country);
        bld_req(b, li, "currency", o->currency);
        bld_dec(b, li, "qty", l->qty);
        bld_dec(b, li, "qty1", l->qty1);
        if (has2)
            bld_dec(b, li, "qty2", l->qty2);
        bld_req(b, li, "unit", l->unit);
        bld_req(b, li, "unit1", l->unit1);
        if (has2)
            bld_req(b, li, "unit2", l->unit2);
        bld_dec(b, li, "price", l->price);
        bld_dec(b, li, "totalPrice", l->total);
    }
}

int cg_build_order_doc(int msg_type, const char *msg_guid, const struct cg_doc_ref *refs, size_t n,
                       const struct cg_seller *seller, const struct cg_base_transfer *bt,
                       const char *version, xmlDocPtr *out, struct cg_err *err)
{
    static const char *const entity[] = {
        [0] = "Order", [1] = "Receipts", [2] = "Logistics", [3] = "Inventory"};
    struct bld b;
    xmlNodePtr root;
    size_t i;
    int k;

    switch (msg_type) {
    case 303: k = 0; break;
    case 403: k = 1; break;
    case 505: k = 2; break;
    case 603: k = 3; break;
    default:
        return CG_ERR_SET(err, CG_EINVAL,
                          "CEB%d is not built from orders (303, 403, 505 and 603 are)", msg_type);
    }
    if (refs == NULL || seller == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "CEB%d: no orders or no seller profile", msg_type);
    root = bld_start(&b, msg_type, msg_guid, version, n, err);
    for (i = 0; i < n && b.rc == CG_OK; i++) {
        const struct cg_doc_ref *r = &refs[i];
        xmlNodePtr e;

        if (r->order == NULL) {
            bld_fail(&b, CG_EINVAL, NULL, "CEB%d: entity %zu has no order", msg_type, i + 1);
            break;
        }
        bld_who(&b, "order", r->order->order_no);
        if ((msg_type == 303 || msg_type == 603) &&
            (r->order->nlines < 1 || r->order->nlines > 100)) {
            bld_fail(&b, CG_EINVAL, NULL, "%zu lines; a CEB%d entity carries 1 to 100",
                     r->order->nlines, msg_type);
            break;
        }
        e = bld_el(&b, root, entity[k]);
        switch (k) {
        case 0: order_head(&b, e, r, seller); break;
        case 1: receipts(&b, e, r, seller); break;
        case 2: logistics(&b, e, r, seller); break;
        default: inventory(&b, e, r, seller); break;
        }
    }
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}
