/*
 * port-doc.c - the request messages the port takes, their documents, and the business rules
 * that need no database (totals, code tables).
 *
 * Documents are pulled out of the libxml2 tree into jansson objects (see port-int.h); the tree
 * stays the caller's. Rule failures come back as CG_EREJECT with a DXP-style code in the
 * user range and a message naming the document guid, the field and both values.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "mapping/mapping.h"
#include "port/port-int.h"

static const struct cg_port_kind kinds[] = {
    {213,
     "InvtRefund",
     "InvtRefundHead",
     "InvtRefundList",
     214,
     "RefundReturn",
     {"agentCode", "coElNo", NULL},
     "guid ?ebpCode ?ebcCode agentCode coElNo preNo invtNo"},
    {303,
     "Order",
     "OrderHead",
     "OrderList",
     304,
     "OrderReturn",
     {"ebpCode", "orderNo", NULL},
     "guid ebpCode ebcCode orderNo"},
    {403,
     "Receipts",
     NULL,
     NULL,
     404,
     "ReceiptsReturn",
     {"ebcCode", "orderNo", NULL},
     "guid ebcCode orderNo ?payNo"},
    {505,
     "Logistics",
     NULL,
     NULL,
     506,
     "LogisticsReturn",
     {"logisticsCode", "logisticsNo", NULL},
     "guid logisticsCode logisticsNo"},
    {507,
     "Arrival",
     "ArrivalHead",
     "ArrivalList",
     508,
     "ArrivalReturn",
     {"operatorCode", "copNo", NULL},
     "guid operatorCode logisticsCode preNo copNo billNo msgSeqNo"},
    {509,
     "Departure",
     "DepartureHead",
     "DepartureList",
     510,
     "DepartureReturn",
     {"logisticsCode", "copNo", NULL},
     "guid logisticsCode copNo preNo msgSeqNo"},
    {603,
     "Inventory",
     "InventoryHead",
     "InventoryList",
     604,
     "InventoryReturn",
     {"agentCode", "copNo", NULL},
     "guid agentCode copNo preNo invtNo ebcCode ebpCode orderNo statisticsFlag"},
    {605,
     "InvtCancel",
     NULL,
     NULL,
     606,
     "InvtCancelReturn",
     {"agentCode", "copNo", NULL},
     "guid agentCode copNo preNo invtNo"},
    {607,
     "WayBill",
     "WayBillHead",
     "WayBillList",
     608,
     "WayBillReturn",
     {"agentCode", "copNo", NULL},
     "guid agentCode logisticsCode copNo preNo billNo msgSeqNo"},
    {701,
     "SummaryApply",
     "SummaryApplyHead",
     "SummaryApplyList",
     702,
     "SummaryReturn",
     {"agentCode", "copNo", NULL},
     "guid agentCode ebcCode copNo preNo ?sumNo msgSeqNo"},
};

bool cg_port_guid_ok(const char *g)
{
    size_t n = strspn(g, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-");

    return n > 0 && n <= 40 && g[n] == '\0';
}

/*
 * A preNo, invtNo or sumNo a document brings (a modify, a delete, the inventory a cancellation
 * names) is kept, answered and published as the number the port assigned: 1 to 20 letters and
 * digits (the schema allows any string of 18 or 20 characters).
 */
static const char *bad_number(const json_t *ent)
{
    static const char *const names[] = {"preNo", "invtNo", "sumNo"};
    const char *v;
    size_t i;
    size_t n;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        v = cg_port_field(ent, names[i]);
        n = strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (*v != '\0' && (n > 20 || v[n] != '\0'))
            return names[i];
    }
    return NULL;
}

const struct cg_port_kind *cg_port_kind_find(int req_type)
{
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].req_type == req_type)
            return &kinds[i];
    return NULL;
}

static bool is_ceb(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrEqual(n->ns->href, CGX(CG_NS_CEB)) &&
           (name == NULL || xmlStrEqual(n->name, CGX(name)));
}

static xmlNodePtr first_child(xmlNodePtr parent, const char *name)
{
    xmlNodePtr c;

    for (c = parent->children; c != NULL; c = c->next)
        if (is_ceb(c, name))
            return c;
    return NULL;
}

/* Every element child without element children becomes a string member. */
static int leaves_to_json(xmlNodePtr parent, json_t *obj)
{
    xmlNodePtr c;
    xmlNodePtr g;
    xmlChar *text;
    int rc = CG_OK;

    for (c = parent->children; c != NULL && rc == CG_OK; c = c->next) {
        if (!is_ceb(c, NULL))
            continue;
        for (g = c->children; g != NULL; g = g->next)
            if (g->type == XML_ELEMENT_NODE)
                break;
        if (g != NULL)
            continue;
        text = xmlNodeGetContent(c);
        if (json_object_set_new(obj, (const char *)c->name,
                                json_string(text != NULL ? (const char *)text : "")) != 0)
            rc = CG_ENOMEM;
        xmlFree(text);
    }
    return rc;
}

int cg_port_entities(xmlDocPtr doc, const struct cg_port_kind *k, json_t **out, struct cg_err *err)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr e;
    xmlNodePtr head;
    xmlNodePtr l;
    json_t *arr = json_array();
    json_t *ent = NULL;
    json_t *items = NULL;
    json_t *item = NULL;
    int rc = CG_OK;
    int n = 0;
    const char *bad;

    if (arr == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (e = root != NULL ? root->children : NULL; e != NULL; e = e->next) {
        if (!is_ceb(e, k->entity))
            continue;
        n++;
        head = k->head != NULL ? first_child(e, k->head) : e;
        if (head == NULL) {
            rc = CG_ERR_SET(err, CG_EPARSE, "entity %d (%s) has no %s", n, k->entity, k->head);
            goto done;
        }
        ent = json_object();
        items = json_array();
        if (ent == NULL || items == NULL || leaves_to_json(head, ent) != CG_OK) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        for (l = k->list != NULL ? e->children : NULL; l != NULL; l = l->next) {
            if (!is_ceb(l, k->list))
                continue;
            item = json_object();
            if (item == NULL || leaves_to_json(l, item) != CG_OK ||
                json_array_append_new(items, item) != 0) {
                item = NULL;
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                goto done;
            }
            item = NULL;
        }
        if (json_object_set_new(ent, "items", items) != 0) {
            items = NULL;
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        items = NULL;
        if (strlen(cg_port_field(ent, "guid")) == 0) {
            rc = CG_ERR_SET(err, CG_EPARSE, "entity %d (%s) has no guid", n, k->entity);
            goto done;
        }
        /* it is answered, published in receipts and printed by `port --documents` */
        if (!cg_port_guid_ok(cg_port_field(ent, "guid"))) {
            rc = CG_ERR_SET(err, CG_EPARSE,
                            "entity %d (%s): its guid is not 1 to 40 letters, digits and '-' (a "
                            "UUID)",
                            n, k->entity);
            goto done;
        }
        if ((bad = bad_number(ent)) != NULL) {
            rc = CG_ERR_SET(err, CG_EPARSE,
                            "entity %d (%s): its %s is not 1 to 20 letters and digits (a number "
                            "the port assigned)",
                            n, k->entity, bad);
            goto done;
        }
        if (json_array_append_new(arr, ent) != 0) {
            ent = NULL;
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        ent = NULL;
    }
    if (n == 0) {
        rc = CG_ERR_SET(err, CG_EPARSE, "no %s entity in the message", k->entity);
        goto done;
    }
    *out = arr;
    arr = NULL;
done:
    json_decref(item);
    json_decref(items);
    json_decref(ent);
    json_decref(arr);
    return rc;
}

const char *cg_port_field(const json_t *ent, const char *name)
{
    const char *s = json_string_value(json_object_get(ent, name));

    return s != NULL ? s : "";
}

/* What a foreign platform without a customs code writes as its ebpCode (CEB-NOTES §2.1). */
#define NO_PLATFORM_CODE "\xe6\x97\xa0" /* 无 */

const char *cg_port_owner_field(const struct cg_port_kind *k, const json_t *ent)
{
    /* An order on a foreign platform (ebpCode 无) belongs to its e-commerce enterprise. */
    if (k->req_type == 303 && strcmp(cg_port_field(ent, "ebpCode"), NO_PLATFORM_CODE) == 0)
        return "ebcCode";
    return k->key[0];
}

void cg_port_business_key(const struct cg_port_kind *k, const json_t *ent, char *buf, size_t size)
{
    const char *owner = cg_port_owner_field(k, ent);
    size_t used;
    int i;

    snprintf(buf, size, "%d", k->req_type);
    for (i = 0; k->key[i] != NULL; i++) {
        used = strlen(buf);
        snprintf(buf + used, size - used, "|%s", cg_port_field(ent, k->key[i]));
    }
    /* Sellers on the same foreign platform share ebpCode 无: their orders are told apart (and
     * kept from squatting each other's order numbers) by the enterprise that owns them. */
    if (strcmp(owner, k->key[0]) != 0) {
        used = strlen(buf);
        snprintf(buf + used, size - used, "|%s", cg_port_field(ent, owner));
    }
}

/* ------------------------------------------------------------------ totals */

static int dec_field(const json_t *obj, const char *name, int64_t *out)
{
    const char *s = cg_port_field(obj, name);

    if (*s == '\0')
        return CG_ENOTFOUND;
    return cg_dec_parse(s, out);
}

static int64_t dec_abs(int64_t v)
{
    return v < 0 ? -v : v;
}

static int check_totals(const json_t *ent, int64_t tolerance, struct cg_err *err)
{
    const json_t *items = json_object_get(ent, "items");
    const json_t *it;
    const char *guid = cg_port_field(ent, "guid");
    char a[CG_DEC_STRMAX];
    char b[CG_DEC_STRMAX];
    int64_t qty;
    int64_t price;
    int64_t total;
    int64_t want;
    int64_t sum = 0;
    int64_t goods;
    bool have_sum = true;
    size_t i;

    json_array_foreach(items, i, it)
    {
        if (dec_field(it, "totalPrice", &total) != CG_OK) {
            have_sum = false;
            continue;
        }
        if (cg_dec_add(sum, total, &sum) != CG_OK)
            return CG_ERR_SET(err, CG_EREJECT, "document %s: the totalPrice sum overflows", guid);
        if (dec_field(it, "qty", &qty) != CG_OK || dec_field(it, "price", &price) != CG_OK)
            continue;
        if (cg_dec_mul(qty, price, &want) != CG_OK)
            return CG_ERR_SET(err, CG_EREJECT, "document %s line %s: qty x price overflows", guid,
                              cg_port_field(it, "gnum"));
        if (dec_abs(want - total) > tolerance) {
            cg_dec_format(want, 2, a, sizeof(a));
            return CG_ERR_SET(err, CG_EREJECT,
                              "document %s line %s: totalPrice %s is not qty %s x price %s = %s",
                              guid, cg_port_field(it, "gnum"), cg_port_field(it, "totalPrice"),
                              cg_port_field(it, "qty"), cg_port_field(it, "price"), a);
        }
    }
    if (have_sum && json_array_size(items) > 0 && dec_field(ent, "goodsValue", &goods) == CG_OK &&
        dec_abs(goods - sum) > tolerance) {
        cg_dec_format(sum, 2, b, sizeof(b));
        return CG_ERR_SET(err, CG_EREJECT,
                          "document %s: goodsValue %s does not match the sum of the lines' "
                          "totalPrice %s",
                          guid, cg_port_field(ent, "goodsValue"), b);
    }
    return CG_OK;
}

/* ------------------------------------------------------------------ codes */

/* Fields checked against one of mapping's customs code tables (cg_codes_known). */
static const struct {
    const char *field;
    const char *table;
} code_fields[] = {
    {"currency", "currency"}, {"fCurrency", "currency"}, {"iCurrency", "currency"},
    {"country", "country"},   {"unit", "unit"},          {"unit1", "unit"},
    {"unit2", "unit"},
};

static int check_codes_in(const json_t *obj, const char *guid, const char *line,
                          const struct cg_codes *codes, struct cg_err *err)
{
    const char *v;
    size_t i;

    for (i = 0; i < sizeof(code_fields) / sizeof(code_fields[0]); i++) {
        v = cg_port_field(obj, code_fields[i].field);
        if (*v == '\0' || cg_codes_known(codes, code_fields[i].table, v))
            continue;
        if (line != NULL)
            return CG_ERR_SET(err, CG_EREJECT,
                              "document %s line %s: %s '%s' is not a known %s code", guid, line,
                              code_fields[i].field, v, code_fields[i].table);
        return CG_ERR_SET(err, CG_EREJECT, "document %s: %s '%s' is not a known %s code", guid,
                          code_fields[i].field, v, code_fields[i].table);
    }
    return CG_OK;
}

/*
 * A summary (CEB701) lists each inventory once: its CEB792 carries every line of every
 * inventory listed, so a repeated invtNo would only repeat them. The set of invtNos seen is a
 * JSON object, so a list of any length is checked in one pass. The text names the position
 * in the list, never the value.
 */
static int check_summary_list(const json_t *ent, struct cg_err *err)
{
    json_t *seen = json_object();
    const json_t *it;
    const char *invt;
    size_t i;
    int rc = CG_OK;

    if (seen == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    json_array_foreach(json_object_get(ent, "items"), i, it)
    {
        invt = cg_port_field(it, "invtNo");
        if (json_object_get(seen, invt) != NULL) {
            rc = CG_ERR_SET(err, CG_EREJECT,
                            "a summary lists each inventory once: SummaryApplyList %zu repeats "
                            "the invtNo of an earlier one",
                            i + 1);
            break;
        }
        if (json_object_set_new(seen, invt, json_true()) != 0) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
    }
    json_decref(seen);
    return rc;
}

int cg_port_check_document(const struct cg_port_kind *k, const json_t *ent,
                           const struct cg_codes *codes, int64_t tolerance, char code[5],
                           struct cg_err *err)
{
    const json_t *it;
    const char *guid = cg_port_field(ent, "guid");
    size_t i;
    int rc;

    if (k->req_type == 701) {
        rc = check_summary_list(ent, err);
        if (rc != CG_OK) {
            cg_strlcpy(code, rc == CG_EREJECT ? "4007" : "3001", 5);
            return CG_EREJECT;
        }
    }
    rc = check_totals(ent, tolerance, err);
    if (rc != CG_OK) {
        cg_strlcpy(code, "4003", 5);
        return CG_EREJECT;
    }
    if (codes == NULL)
        return CG_OK;
    rc = check_codes_in(ent, guid, NULL, codes, err);
    json_array_foreach(json_object_get(ent, "items"), i, it)
    {
        if (rc != CG_OK)
            break;
        rc = check_codes_in(it, guid, cg_port_field(it, "gnum"), codes, err);
    }
    if (rc != CG_OK) {
        cg_strlcpy(code, "4004", 5);
        return CG_EREJECT;
    }
    return CG_OK;
}
