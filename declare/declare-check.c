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
 *
 * cg_orders_pass() checks several orders at once: one message per kind with one entity per
 * order, validated once. Most of the cost of checking one small message is the message (its
 * document, header and BaseTransfer, and the start of a validation), so for orders that pass
 * this is far cheaper; an order that fails is then checked alone, for its own words.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "declare/declare.h"

/* Elements whose value comes from the configuration, and where it is set; the last, POD, may come
 * from the order as well (HINT_FROM_ORDER). */
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

/* The index in hints[] of the element msg says is missing, or -1. */
static int hint_index(const char *msg)
{
    static const char missing[] = ": required value is missing";
    const char *p = strstr(msg, "element ");
    size_t i, n;

    if (p == NULL)
        return -1;
    p += 8;
    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        n = strlen(hints[i].elem);
        if (strncmp(p, hints[i].elem, n) == 0 && strcmp(p + n, missing) == 0)
            return (int)i;
    }
    return -1;
}

#define HINT_FROM_ORDER 13

bool cg_msg_config_only(const char *msg)
{
    int i = hint_index(msg);

    return i >= 0 && i != HINT_FROM_ORDER;
}

const char *cg_msg_config_hint(const char *msg)
{
    int i = hint_index(msg);

    return i >= 0 ? hints[i].where : NULL;
}

const char *cg_msg_without_order(const char *msg, const char *order_no)
{
    size_t n = order_no != NULL ? strlen(order_no) : 0;

    if (n > 0 && strncmp(msg, "order ", 6) == 0 && strncmp(msg + 6, order_no, n) == 0 &&
        strncmp(msg + 6 + n, ": ", 2) == 0)
        return msg + 6 + n + 2;
    return msg;
}

/* Placeholders of the shape the spool gives: guids of cg_guid_new() and a copNo of its length. */
static const char PH_GUID[] = "00000000-0000-4000-8000-000000000001";
static const char PH_MSG_GUID[] = "00000000-0000-4000-8000-000000000002";
static const char PH_COP_NO[] = "C00000000000000000000";

/* The kinds spool-plan.c declares for o, in that order: the order; the payment receipt when
 * the seller takes payments from the shop and the order has one; waybill and inventory with a
 * shipment. Returns how many (1 to 4). */
static size_t kinds_of(const struct cg_order *o, const struct cg_seller *seller, int kinds[4])
{
    size_t n = 0;

    kinds[n++] = 303;
    if (o->has_payment && seller->payments != NULL && strcmp(seller->payments, "shop") == 0)
        kinds[n++] = 403;
    if (o->has_shipment) {
        kinds[n++] = 505;
        kinds[n++] = 603;
    }
    return n;
}

static void placeholder_ref(struct cg_doc_ref *ref, const struct cg_order *o)
{
    memset(ref, 0, sizeof(*ref));
    ref->order = o;
    ref->guid = PH_GUID;
    ref->app_type = CG_APP_ADD;
    ref->cop_no = PH_COP_NO;
}

int cg_order_doc_placeholder(int msg_type, const struct cg_order *o, const struct cg_seller *seller,
                             const struct cg_base_transfer *bt, const char *version, xmlDocPtr *doc,
                             struct cg_err *err)
{
    struct cg_doc_ref ref;

    placeholder_ref(&ref, o);
    return cg_build_order_doc(msg_type, PH_MSG_GUID, &ref, 1, seller, bt, version, doc, err);
}

bool cg_orders_pass(struct cg_schema *s, const struct cg_order *const *o, size_t n,
                    const struct cg_seller *seller, const struct cg_base_transfer *bt,
                    const char *version)
{
    static const int all[] = {303, 403, 505, 603};
    struct cg_doc_ref refs[CG_MSG_MAX_ENTITIES];
    size_t i, j, k, m;
    int kinds[4];

    if (n == 0 || n > CG_MSG_MAX_ENTITIES)
        return false;
    for (k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
        xmlDocPtr doc = NULL;
        struct cg_err e;
        int rc;

        /* The orders that declare this kind, in their order. */
        for (i = 0, m = 0; i < n; i++) {
            size_t nk = kinds_of(o[i], seller, kinds);

            for (j = 0; j < nk; j++)
                if (kinds[j] == all[k])
                    placeholder_ref(&refs[m++], o[i]);
        }
        if (m == 0)
            continue;
        cg_err_clear(&e);
        rc = cg_build_order_doc(all[k], PH_MSG_GUID, refs, m, seller, bt, version, &doc, &e);
        if (rc == CG_OK)
            rc = cg_schema_validate(s, doc, &e);
        if (doc != NULL)
            xmlFreeDoc(doc);
        if (rc != CG_OK)
            return false;
    }
    return true;
}

/* Put a placeholder where hints[i] is configured, in the copies the builders are given. */
static void fill_hint(int i, struct cg_seller *sc, struct cg_base_transfer *bc, struct cg_order *oc)
{
    static char ph[] = "X";

    switch (i) {
    case 0: bc->cop_code = ph; break;
    case 1: bc->cop_name = ph; break;
    case 2: bc->dxp_id = ph; break;
    case 3: sc->ebp_code = ph; break;
    case 4: sc->ebp_name = ph; break;
    case 5: sc->ebc_code = ph; break;
    case 6: sc->ebc_name = ph; break;
    case 7: sc->agent_code = ph; break;
    case 8: sc->agent_name = ph; break;
    case 9: sc->owner_code = ph; break;
    case 10: sc->owner_name = ph; break;
    case 11: sc->customs_code = ph; break;
    case 12: sc->port_code = ph; break;
    case HINT_FROM_ORDER: oc->pod = ph; break;
    default: break;
    }
}

size_t cg_config_missing(const struct cg_order *o, const struct cg_seller *seller,
                         const struct cg_base_transfer *bt, const char *version, char *out,
                         size_t size)
{
    struct cg_seller sc = *seller;
    struct cg_base_transfer bc = *bt;
    struct cg_order oc = *o;
    bool seen[sizeof(hints) / sizeof(hints[0])] = {false};
    size_t found = 0, len = 0, i, nk;
    int kinds[4];

    if (size > 0)
        out[0] = '\0';
    nk = kinds_of(o, seller, kinds);
    for (i = 0; i < nk; i++) {
        /* Each round names one more missing setting; a placeholder then lets the builder on to
         * the next. Any other failure ends this kind: it is not the configuration's. */
        for (;;) {
            struct cg_err e;
            xmlDocPtr doc = NULL;
            int rc, h;

            cg_err_clear(&e);
            rc = cg_order_doc_placeholder(kinds[i], &oc, &sc, &bc, version, &doc, &e);
            if (doc != NULL)
                xmlFreeDoc(doc);
            h = rc == CG_OK ? -1 : hint_index(e.msg);
            if (h < 0 || seen[h])
                break;
            seen[h] = true;
            fill_hint(h, &sc, &bc, &oc);
            if (size > 0 && len < size) {
                /* The setting's name, without the explanation in parentheses. */
                const char *w = hints[h].where;
                const char *paren = strstr(w, " (");
                int wl = paren != NULL ? (int)(paren - w) : (int)strlen(w);
                int k = snprintf(out + len, size - len, "%s%.*s", found > 0 ? ", " : "", wl, w);

                len = k < 0 ? size : len + (size_t)k;
            }
            found++;
        }
    }
    return found;
}

int cg_order_check(struct cg_schema *s, const struct cg_order *o, const struct cg_seller *seller,
                   const struct cg_base_transfer *bt, const char *version, struct cg_err *err)
{
    int with_ship[4];
    size_t n = kinds_of(o, seller, with_ship);
    size_t i;
    int rc = CG_OK;

    for (i = 0; i < n && rc == CG_OK; i++) {
        struct cg_err e;
        xmlDocPtr doc = NULL;
        const char *what = "building";

        cg_err_clear(&e);
        rc = cg_order_doc_placeholder(with_ship[i], o, seller, bt, version, &doc, &e);
        if (rc == CG_OK) {
            what = "schema";
            rc = cg_schema_validate(s, doc, &e);
        }
        if (rc != CG_OK) {
            const char *hint = cg_msg_config_hint(e.msg);
            char all[512];

            /* One missing setting is seldom alone in a new configuration: name them all. */
            if (hint == NULL || cg_config_missing(o, seller, bt, version, all, sizeof(all)) < 2)
                all[0] = '\0';
            CG_ERR_SET(err, rc, "CEB%03d %s: %s%s%s%s%s", with_ship[i], what,
                       e.msg[0] != '\0' ? cg_msg_without_order(e.msg, o->order_no)
                                        : cg_strerror(rc),
                       hint != NULL ? ": set " : "", hint != NULL ? hint : "",
                       all[0] != '\0' ? "; missing settings: " : "", all);
        }
        if (doc != NULL)
            xmlFreeDoc(doc);
    }
    return rc;
}
