/*
 * declare-build-ops.c - the CEB messages that are not one order each: CEB607 master/sub
 * waybill list, CEB509 departure, CEB701 summary application, CEB605 inventory cancellation
 * and CEB213 export return request.
 *
 * Inputs are the plain records of declare.h (struct cg_waybill etc.); codes they leave out come
 * from the seller profile. Element order and optionality follow the export XSD of the chosen
 * edition; the 2018 edition has no CEB213 (CG_EUNSUPPORTED) and wants 1..100 list items where
 * 202205 allows more. Errors name the entity by its copNo (coElNo for CEB213) and the element.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "declare/declare-msg-int.h"

static const char *or_else(const char *a, const char *b)
{
    return a != NULL && a[0] != '\0' ? a : b;
}

static void count_pair(struct bld *b, xmlNodePtr h, long count, long seq)
{
    if (count <= 0)
        count = 1;
    if (seq <= 0)
        seq = 1;
    if (seq > count) {
        bld_fail(b, CG_EINVAL, "msgSeqNo", "%ld is above msgCount %ld", seq, count);
        return;
    }
    bld_long(b, h, "msgCount", count);
    bld_long(b, h, "msgSeqNo", seq);
}

static void list_limit(struct bld *b, const char *list, size_t n, bool may_be_empty)
{
    if (n == 0 && !may_be_empty)
        bld_fail(b, CG_EINVAL, list, "at least one is required");
    else if (b->v2018 && n > 100)
        bld_fail(b, CG_EINVAL, list, "%zu items; the 2018 edition allows 100", n);
}

static void need_seller(struct bld *b, const struct cg_seller *sl)
{
    if (sl == NULL)
        bld_fail(b, CG_EINVAL, NULL, "no seller profile");
}

/* ------------------------------------------------------------------ CEB607 */

int cg_build_waybill_doc(const char *msg_guid, const struct cg_waybill *w, size_t n,
                         const struct cg_seller *sl, const struct cg_base_transfer *bt,
                         const char *version, xmlDocPtr *out, struct cg_err *err)
{
    struct bld b;
    xmlNodePtr root = bld_start(&b, 607, msg_guid, version, n, err);
    size_t i, j;

    need_seller(&b, sl);
    for (i = 0; i < n && b.rc == CG_OK && w != NULL; i++) {
        const struct cg_waybill *x = &w[i];
        xmlNodePtr e, h;

        bld_who(&b, "copNo", x->cop_no);
        list_limit(&b, "WayBillList", x->nitems, false);
        e = bld_el(&b, root, "WayBill");
        h = bld_el(&b, e, "WayBillHead");
        bld_common_head(&b, h, x->guid, x->app_type, x->app_status);
        bld_req(&b, h, "customsCode", sl->customs_code);
        bld_req(&b, h, "copNo", x->cop_no);
        bld_mod_key(&b, h, "preNo", x->app_type, x->pre_no, true);
        bld_req(&b, h, "agentCode", sl->agent_code);
        bld_req(&b, h, "agentName", sl->agent_name);
        bld_opt(&b, h, "loctNo", x->loct_no);
        bld_req(&b, h, "trafMode", or_else(x->traf_mode, sl->traf_mode));
        bld_req(&b, h, "trafName", x->traf_name);
        bld_req(&b, h, "voyageNo", x->voyage_no);
        bld_req(&b, h, "billNo", x->bill_no);
        bld_opt(&b, h, "domesticTrafNo", x->domestic_traf_no);
        bld_dec(&b, h, "grossWeight", x->gross_weight);
        bld_req(&b, h, "logisticsCode", x->logistics_code);
        bld_req(&b, h, "logisticsName", x->logistics_name);
        count_pair(&b, h, x->msg_count, x->msg_seq_no);
        bld_opt(&b, h, "note", x->note);
        for (j = 0; j < x->nitems && b.rc == CG_OK; j++) {
            xmlNodePtr l = bld_el(&b, e, "WayBillList");

            bld_long(&b, l, "gnum", (long)j + 1);
            bld_opt(&b, l, "totalPackageNo", x->items[j].total_package_no);
            bld_req(&b, l, "logisticsNo", x->items[j].logistics_no);
            bld_opt(&b, l, "invtNo", x->items[j].invt_no);
            bld_opt(&b, l, "note", x->items[j].note);
        }
    }
    if (w == NULL)
        bld_fail(&b, CG_EINVAL, NULL, "CEB607: no waybills");
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}

/* ------------------------------------------------------------------ CEB509 */

int cg_build_departure_doc(const char *msg_guid, const struct cg_departure *d, size_t n,
                           const struct cg_seller *sl, const struct cg_base_transfer *bt,
                           const char *version, xmlDocPtr *out, struct cg_err *err)
{
    struct bld b;
    xmlNodePtr root = bld_start(&b, 509, msg_guid, version, n, err);
    size_t i, j;

    need_seller(&b, sl);
    for (i = 0; i < n && b.rc == CG_OK && d != NULL; i++) {
        const struct cg_departure *x = &d[i];
        xmlNodePtr e, h;
        char leave[15];

        bld_who(&b, "copNo", x->cop_no);
        list_limit(&b, "DepartureList", x->nitems, false);
        if (x->leave_time <= 0)
            bld_fail(&b, CG_EINVAL, "leaveTime", "required value is missing");
        cg_ceb_time(x->leave_time, leave);
        e = bld_el(&b, root, "Departure");
        h = bld_el(&b, e, "DepartureHead");
        bld_common_head(&b, h, x->guid, x->app_type, x->app_status);
        bld_req(&b, h, "customsCode", sl->customs_code);
        bld_req(&b, h, "copNo", x->cop_no);
        bld_mod_key(&b, h, "preNo", x->app_type, x->pre_no, true);
        bld_req(&b, h, "logisticsCode", x->logistics_code);
        bld_req(&b, h, "logisticsName", x->logistics_name);
        bld_req(&b, h, "trafMode", or_else(x->traf_mode, sl->traf_mode));
        bld_opt(&b, h, "trafName", x->traf_name);
        bld_opt(&b, h, "voyageNo", x->voyage_no);
        bld_opt(&b, h, "billNo", x->bill_no);
        bld_req(&b, h, "leaveTime", leave);
        count_pair(&b, h, x->msg_count, x->msg_seq_no);
        bld_opt(&b, h, "note", x->note);
        for (j = 0; j < x->nitems && b.rc == CG_OK; j++) {
            xmlNodePtr l = bld_el(&b, e, "DepartureList");

            bld_long(&b, l, "gnum", (long)j + 1);
            bld_opt(&b, l, "totalPackageNo", x->items[j].total_package_no);
            bld_req(&b, l, "logisticsNo", x->items[j].logistics_no);
            bld_opt(&b, l, "note", x->items[j].note);
        }
    }
    if (d == NULL)
        bld_fail(&b, CG_EINVAL, NULL, "CEB509: no departures");
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}

/* ------------------------------------------------------------------ CEB701 */

int cg_build_summary_doc(const char *msg_guid, const struct cg_summary *s, size_t n,
                         const struct cg_seller *sl, const struct cg_base_transfer *bt,
                         const char *version, xmlDocPtr *out, struct cg_err *err)
{
    struct bld b;
    xmlNodePtr root = bld_start(&b, 701, msg_guid, version, n, err);
    size_t i, j;

    need_seller(&b, sl);
    for (i = 0; i < n && b.rc == CG_OK && s != NULL; i++) {
        const struct cg_summary *x = &s[i];
        const char *flag = or_else(x->summary_flag, "1");
        xmlNodePtr e, h;
        char t0[15], t1[15];
        bool range = x->start_time > 0 || x->end_time > 0;

        bld_who(&b, "copNo", x->cop_no);
        if (range && (x->start_time <= 0 || x->end_time <= 0 || x->end_time < x->start_time))
            bld_fail(&b, CG_EINVAL, "startTime",
                     "startTime and endTime go together, the end not before the start");
        /* Without a time range the inventories are listed; 2018 always wants the list. */
        list_limit(&b, "SummaryApplyList", x->ninvt, range && !b.v2018);
        if (strcmp(flag, "1") != 0 && strcmp(flag, "2") != 0)
            bld_fail(&b, CG_EINVAL, "summaryFlag", "'%s' is not 1 or 2", flag);
        cg_ceb_time(x->start_time, t0);
        cg_ceb_time(x->end_time, t1);
        e = bld_el(&b, root, "SummaryApply");
        h = bld_el(&b, e, "SummaryApplyHead");
        bld_common_head(&b, h, x->guid, x->app_type, x->app_status);
        bld_req(&b, h, "customsCode", sl->customs_code);
        bld_req(&b, h, "copNo", x->cop_no);
        bld_mod_key(&b, h, "preNo", x->app_type, x->pre_no, true);
        bld_mod_key(&b, h, "sumNo", x->app_type, x->sum_no, false);
        bld_req(&b, h, "agentCode", sl->agent_code);
        bld_req(&b, h, "agentName", sl->agent_name);
        bld_req(&b, h, "ebcCode", sl->ebc_code);
        bld_req(&b, h, "ebcName", sl->ebc_name);
        bld_req(&b, h, "declAgentCode", or_else(x->decl_agent_code, sl->agent_code));
        bld_req(&b, h, "declAgentName", or_else(x->decl_agent_name, sl->agent_name));
        if (range) {
            bld_req(&b, h, "startTime", t0);
            bld_req(&b, h, "endTime", t1);
        }
        bld_opt(&b, h, "loctNo", x->loct_no);
        bld_req(&b, h, "summaryFlag", flag);
        /* The XSD wants exactly one character here although its note allows leaving it out;
         * "1" (group by the inventories' item names) is what the official sample sends. */
        bld_req(&b, h, "itemNameFlag", or_else(x->item_name_flag, "1"));
        count_pair(&b, h, x->msg_count, x->msg_seq_no);
        bld_opt(&b, h, "note", x->note);
        for (j = 0; j < x->ninvt && b.rc == CG_OK; j++) {
            xmlNodePtr l = bld_el(&b, e, "SummaryApplyList");
            bld_req(&b, l, "invtNo", x->invt_nos[j]);
        }
    }
    if (s == NULL)
        bld_fail(&b, CG_EINVAL, NULL, "CEB701: no summary applications");
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}

/* ------------------------------------------------------------------ CEB605 */

int cg_build_cancel_doc(const char *msg_guid, const struct cg_invt_cancel *c, size_t n,
                        const struct cg_seller *sl, const struct cg_base_transfer *bt,
                        const char *version, xmlDocPtr *out, struct cg_err *err)
{
    struct bld b;
    xmlNodePtr root = bld_start(&b, 605, msg_guid, version, n, err);
    size_t i;

    need_seller(&b, sl);
    for (i = 0; i < n && b.rc == CG_OK && c != NULL; i++) {
        const struct cg_invt_cancel *x = &c[i];
        xmlNodePtr e;

        bld_who(&b, "copNo", x->cop_no);
        e = bld_el(&b, root, "InvtCancel");
        bld_common_head(&b, e, x->guid, x->app_type, x->app_status);
        bld_req(&b, e, "customsCode", sl->customs_code);
        bld_req(&b, e, "copNo", x->cop_no);
        /* The cancellation refers to an existing inventory: preNo is written when known. */
        bld_opt(&b, e, "preNo", x->pre_no);
        bld_req(&b, e, "invtNo", x->invt_no);
        bld_req(&b, e, "reason", x->reason);
        bld_req(&b, e, "agentCode", sl->agent_code);
        bld_req(&b, e, "agentName", sl->agent_name);
        bld_req(&b, e, "ebcCode", sl->ebc_code);
        bld_req(&b, e, "ebcName", sl->ebc_name);
        bld_opt(&b, e, "note", x->note);
    }
    if (c == NULL)
        bld_fail(&b, CG_EINVAL, NULL, "CEB605: no cancellations");
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}

/* ------------------------------------------------------------------ CEB213 */

static void refund_item(struct bld *b, xmlNodePtr l, int gnum, const char *gcode, const char *gname,
                        const char *gmodel, int64_t qty, int64_t qty1, const char *unit,
                        const char *unit1, int64_t qty2, const char *unit2, const char *note)
{
    bool has2 = unit2 != NULL && unit2[0] != '\0';

    bld_long(b, l, "gnum", gnum);
    bld_req(b, l, "gcode", gcode);
    bld_req(b, l, "gname", gname);
    bld_req(b, l, "gmodel", gmodel);
    bld_dec(b, l, "qty", qty);
    bld_dec(b, l, "qty1", qty1);
    bld_req(b, l, "unit", unit);
    bld_req(b, l, "unit1", unit1);
    if (has2) {
        bld_dec(b, l, "qty2", qty2);
        bld_req(b, l, "unit2", unit2);
    }
    bld_opt(b, l, "note", note);
}

/* Table 2-59: a return of a general export is 9661, of a special-area export (1210) 1261. */
static const char *return_mode(const struct cg_seller *sl)
{
    return sl != NULL && sl->trade_mode != NULL && strcmp(sl->trade_mode, "1210") == 0 ? "1261"
                                                                                       : "9661";
}

int cg_build_refund_doc(const char *msg_guid, const struct cg_invt_refund *r, size_t n,
                        const struct cg_seller *sl, const struct cg_base_transfer *bt,
                        const char *version, xmlDocPtr *out, struct cg_err *err)
{
    struct bld b;
    xmlNodePtr root;
    size_t i, j;

    if (version != NULL && strcmp(version, "2018") == 0)
        return CG_ERR_SET(err, CG_EUNSUPPORTED,
                          "CEB213 (export return) exists only in the 202205 edition");
    root = bld_start(&b, 213, msg_guid, version, n, err);
    need_seller(&b, sl);
    for (i = 0; i < n && b.rc == CG_OK && r != NULL; i++) {
        const struct cg_invt_refund *x = &r[i];
        const struct cg_order *o = x->order;
        const struct cg_shipment *sh = o != NULL && o->has_shipment ? &o->ship : NULL;
        size_t nl = x->nitems > 0 ? x->nitems : (o != NULL ? o->nlines : 0);
        xmlNodePtr e, h;

        bld_who(&b, "coElNo", x->co_el_no);
        if (nl < 1 || nl > 100)
            bld_fail(&b, CG_EINVAL, "InvtRefundList", "%zu items; 1 to 100 are allowed", nl);
        e = bld_el(&b, root, "InvtRefund");
        h = bld_el(&b, e, "InvtRefundHead");
        bld_common_head(&b, h, x->guid, x->app_type, x->app_status);
        bld_req(&b, h, "customsCode", sl->customs_code);
        bld_opt(&b, h, "loctNo", x->loct_no);
        bld_req(&b, h, "ebpCode", sl->ebp_code);
        bld_req(&b, h, "ebpName", sl->ebp_name);
        bld_req(&b, h, "ebcCode", sl->ebc_code);
        bld_req(&b, h, "ebcName", sl->ebc_name);
        bld_req(&b, h, "logisticsNo", or_else(x->logistics_no, sh ? sh->logistics_no : NULL));
        bld_req(&b, h, "logisticsCode", or_else(x->logistics_code, sh ? sh->logistics_code : NULL));
        bld_req(&b, h, "logisticsName", or_else(x->logistics_name, sh ? sh->logistics_name : NULL));
        bld_req(&b, h, "coElNo", x->co_el_no);
        bld_mod_key(&b, h, "preNo", x->app_type, x->pre_no, true);
        bld_req(&b, h, "invtNo", x->invt_no);
        bld_req(&b, h, "tradeMode", or_else(x->trade_mode, return_mode(sl)));
        bld_req(&b, h, "agentCode", sl->agent_code);
        bld_req(&b, h, "agentName", sl->agent_name);
        bld_req(&b, h, "billNo", x->bill_no);
        bld_req(&b, h, "ieFlag", "I"); /* the goods come back in */
        bld_req(&b, h, "trafMode", or_else(x->traf_mode, sl->traf_mode));
        bld_req(&b, h, "trafName", x->traf_name);
        bld_req(&b, h, "portCode", or_else(x->port_code, sl->port_code));
        bld_req(&b, h, "reason", x->reason);
        bld_req(&b, h, "country", or_else(x->country, o != NULL ? o->country : NULL));
        bld_req(&b, h, "voyageNo", x->voyage_no);
        bld_opt(&b, h, "note", x->note);
        for (j = 0; j < nl && b.rc == CG_OK; j++) {
            xmlNodePtr l = bld_el(&b, e, "InvtRefundList");

            if (x->nitems > 0) {
                const struct cg_refund_item *it = &x->items[j];
                refund_item(&b, l, it->gnum > 0 ? it->gnum : (int)j + 1, it->gcode, it->gname,
                            it->gmodel, it->qty, it->qty1, it->unit, it->unit1, it->qty2, it->unit2,
                            it->note);
            } else {
                const struct cg_order_line *ol = &o->lines[j];
                refund_item(&b, l, ol->gnum, ol->gcode, ol->gname, ol->gmodel, ol->qty, ol->qty1,
                            ol->unit, ol->unit1, ol->qty2, ol->unit2, NULL);
            }
        }
    }
    if (r == NULL)
        bld_fail(&b, CG_EINVAL, NULL, "CEB213: no return requests");
    bld_base_transfer(&b, root, bt);
    return bld_finish(&b, out);
}
