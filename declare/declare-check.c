/*
 * declare-check.c - the dry run of a declaration: build every message `cebgate run` would
 * declare for one order and validate each against the schema, without signing or writing.
 *
 * Used by `cebgate map`, so that what map accepts is what run declares. The documents are
 * built as first versions (appType 1) with a copNo of the length the spool uses; they are freed
 * here. As they are only validated, never sent or stored, their guids are fixed placeholders of
 * the shape cg_guid_new() gives (36 characters, upper case): two random guids per message were
 * a tenth of the check's instructions. A failure names the message and the step
 * ("CEB603 schema: ...") the way the spool reports a rejected order; nothing is kept.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "declare/declare.h"

/* Elements whose value comes from the configuration, and where it is set. */
static const struct {
    const char *elem;
    const char *where;
} hints[] = {
    {"copCode", "[declare] cop_code"},
    {"copName", "[declare] cop_name"},
    {"dxpId", "[declare] dxp_id"},
    {"ebpCode", "[seller] ebp_code (无 for a foreign platform such as Amazon or Shopify)"},
    {"ebpName", "[seller] ebp_name"},
    {"ebcCode", "[seller] ebc_code"},
    {"ebcName", "[seller] ebc_name"},
    {"agentCode", "[seller] agent_code"},
    {"agentName", "[seller] agent_name"},
    {"ownerCode", "[seller] owner_code"},
    {"ownerName", "[seller] owner_name"},
    {"customsCode", "[seller] customs_code"},
    {"portCode", "[seller] port_code"},
    {"POD", "[seller] pod or pod_by_country, or a pod column (docs/order-format.md)"},
};

const char *cg_msg_config_hint(const char *msg)
{
    static const char missing[] = ": required value is missing";
    const char *p = strstr(msg, "element ");
    size_t i, n;

    if (p == NULL)
        return NULL;
    p += 8;
    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        n = strlen(hints[i].elem);
        if (strncmp(p, hints[i].elem, n) == 0 && strcmp(p + n, missing) == 0)
            return hints[i].where;
    }
    return NULL;
}

const char *cg_msg_without_order(const char *msg, const char *order_no)
{
    size_t n = order_no != NULL ? strlen(order_no) : 0;

    if (n > 0 && strncmp(msg, "order ", 6) == 0 && strncmp(msg + 6, order_no, n) == 0 &&
        strncmp(msg + 6 + n, ": ", 2) == 0)
        return msg + 6 + n + 2;
    return msg;
}

int cg_order_check(struct cg_schema *s, const struct cg_order *o, const struct cg_seller *seller,
                   const struct cg_base_transfer *bt, const char *version, struct cg_err *err)
{
    int with_ship[4];
    size_t n = 0;
    size_t i;
    int rc = CG_OK;

    /* The kinds spool-plan.c declares: the order; the payment receipt when the seller takes
     * payments from the shop and the order has one; waybill and inventory with a shipment. */
    with_ship[n++] = 303;
    if (o->has_payment && seller->payments != NULL && strcmp(seller->payments, "shop") == 0)
        with_ship[n++] = 403;
    if (o->has_shipment) {
        with_ship[n++] = 505;
        with_ship[n++] = 603;
    }
    for (i = 0; i < n && rc == CG_OK; i++) {
        struct cg_doc_ref ref;
        struct cg_err e;
        xmlDocPtr doc = NULL;
        char guid[37] = "00000000-0000-4000-8000-000000000001";
        char msg_guid[37] = "00000000-0000-4000-8000-000000000002";
        const char *what = "building";

        cg_err_clear(&e);
        memset(&ref, 0, sizeof(ref));
        ref.order = o;
        ref.guid = guid;
        ref.app_type = CG_APP_ADD;
        ref.cop_no = "C00000000000000000000";
        rc = cg_build_order_doc(with_ship[i], msg_guid, &ref, 1, seller, bt, version, &doc, &e);
        if (rc == CG_OK) {
            what = "schema";
            rc = cg_schema_validate(s, doc, &e);
        }
        if (rc != CG_OK) {
            const char *hint = cg_msg_config_hint(e.msg);

            CG_ERR_SET(err, rc, "CEB%03d %s: %s%s%s", with_ship[i], what,
                       e.msg[0] != '\0' ? cg_msg_without_order(e.msg, o->order_no)
                                        : cg_strerror(rc),
                       hint != NULL ? ": set " : "", hint != NULL ? hint : "");
        }
        if (doc != NULL)
            xmlFreeDoc(doc);
    }
    return rc;
}
