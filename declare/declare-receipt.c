/*
 * declare-receipt.c - receipts from the port into one event shape.
 *
 * Handles every export receipt (CEB304, 404, 506, 508, 510, 604, 606, 608, 702, 214, 216), the
 * summary result CEB792 (2018 gnum and 202205 gseqno lists alike, with its inventory lines:
 * invtNo, logisticsNo, gnum, gcode, the link to the customs declaration) and the format-error
 * receipt CEB900, in both schema editions. Elements are matched by namespace URI and local name,
 * never by prefix (receipts often use a default namespace). Each entity under the root becomes one
 * event. The document should come from cg_xml_parse() (no DTD, no entities, no network).
 * An unknown root, a foreign namespace, an entity without guid or returnStatus, a status that
 * is not a number, or no entity at all is CG_EPARSE / CG_EUNSUPPORTED with the reason; the
 * events array is then not returned.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "declare/declare.h"

/* Longest text kept from one receipt field (returnInfo of CEB900 is up to 5000 characters). */
#define FIELD_MAX (16u * 1024u)

struct rtype {
    int type;
    const char *entity;
};

static const struct rtype rtypes[] = {
    {304, "OrderReturn"},      {404, "ReceiptsReturn"},         {506, "LogisticsReturn"},
    {508, "ArrivalReturn"},    {510, "DepartureReturn"},        {604, "InventoryReturn"},
    {606, "InvtCancelReturn"}, {608, "WayBillReturn"},          {702, "SummaryReturn"},
    {214, "RefundReturn"},     {216, "InvtRefundDetailReturn"}, {792, "SummaryResult"},
    {900, "MessageReturn"},
};

static bool in_ceb(xmlNodePtr n)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, CG_NS_CEB) == 0;
}

/* Trimmed copy of an element's text; NULL for empty. Returns false on allocation failure. */
static bool text_of(xmlNodePtr n, char **out)
{
    xmlChar *c = xmlNodeGetContent(n);
    const char *s, *e;
    size_t len;

    *out = NULL;
    if (c == NULL)
        return true;
    s = (const char *)c;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    len = (size_t)(e - s);
    if (len > FIELD_MAX) {
        len = FIELD_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
            len--; /* cut before a whole UTF-8 character */
    }
    if (len > 0) {
        *out = malloc(len + 1);
        if (*out == NULL) {
            xmlFree(c);
            return false;
        }
        memcpy(*out, s, len);
        (*out)[len] = '\0';
    }
    xmlFree(c);
    return true;
}

static void event_clear(struct cg_receipt_event *e)
{
    free(e->msg_guid);
    free(e->guid);
    free(e->order_no);
    free(e->logistics_no);
    free(e->cop_no);
    free(e->pre_no);
    free(e->invt_no);
    free(e->sum_no);
    free(e->entry_id);
    free(e->ebc_code);
    free(e->agent_code);
    free(e->bill_no);
    free(e->return_status);
    free(e->return_time);
    free(e->return_info);
    free(e->ori_cop_msg_id);
    free(e->ori_msg_type);
    free(e->decl_seq_no);
    for (size_t i = 0; i < e->nlines; i++) {
        free(e->lines[i].invt_no);
        free(e->lines[i].logistics_no);
        free(e->lines[i].gcode);
    }
    free(e->lines);
    memset(e, 0, sizeof(*e));
}

void cg_receipt_events_free(struct cg_receipt_event *ev, size_t n)
{
    size_t i;

    if (ev == NULL)
        return;
    for (i = 0; i < n; i++)
        event_clear(&ev[i]);
    free(ev);
}

/* Where a child element's text goes. */
static char **slot(struct cg_receipt_event *e, int type, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } map[] = {
        {"guid", offsetof(struct cg_receipt_event, guid)},
        {"orderNo", offsetof(struct cg_receipt_event, order_no)},
        {"logisticsNo", offsetof(struct cg_receipt_event, logistics_no)},
        {"copNo", offsetof(struct cg_receipt_event, cop_no)},
        {"coElNo", offsetof(struct cg_receipt_event, cop_no)},
        {"preNo", offsetof(struct cg_receipt_event, pre_no)},
        {"invtNo", offsetof(struct cg_receipt_event, invt_no)},
        {"sumNo", offsetof(struct cg_receipt_event, sum_no)},
        {"entryId", offsetof(struct cg_receipt_event, entry_id)},
        {"ebcCode", offsetof(struct cg_receipt_event, ebc_code)},
        {"agentCode", offsetof(struct cg_receipt_event, agent_code)},
        {"billNo", offsetof(struct cg_receipt_event, bill_no)},
        {"returnStatus", offsetof(struct cg_receipt_event, return_status)},
        {"returnTime", offsetof(struct cg_receipt_event, return_time)},
        {"returnInfo", offsetof(struct cg_receipt_event, return_info)},
        {"oriCopMsgId", offsetof(struct cg_receipt_event, ori_cop_msg_id)},
        {"oriMessageType", offsetof(struct cg_receipt_event, ori_msg_type)},
    };
    size_t i;

    /* CEB792 has no return fields: its declaration state and date take their place. */
    if (type == 792) {
        if (strcmp(name, "decState") == 0)
            return &e->return_status;
        if (strcmp(name, "opDate") == 0)
            return &e->return_time;
        if (strcmp(name, "note") == 0)
            return &e->return_info;
        if (strcmp(name, "declSeqNo") == 0)
            return &e->decl_seq_no;
    }
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, name) == 0)
            return (char **)((char *)e + map[i].off);
    return NULL;
}

/* One SummaryResultList of a CEB792: appended to e->lines. */
static int add_line(struct cg_receipt_event *e, xmlNodePtr list, struct cg_err *err)
{
    struct cg_receipt_line *l, *nl;
    xmlNodePtr c;

    nl = realloc(e->lines, (e->nlines + 1) * sizeof(*nl));
    if (nl == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    e->lines = nl;
    l = &e->lines[e->nlines++];
    memset(l, 0, sizeof(*l));
    for (c = list->children; c != NULL; c = c->next) {
        const char *name = (const char *)c->name;
        char *v = NULL;

        if (!in_ceb(c))
            continue;
        if (!text_of(c, &v))
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        if (strcmp(name, "invtNo") == 0 && l->invt_no == NULL) {
            l->invt_no = v;
        } else if (strcmp(name, "logisticsNo") == 0 && l->logistics_no == NULL) {
            l->logistics_no = v;
        } else if (strcmp(name, "gcode") == 0 && l->gcode == NULL) {
            l->gcode = v;
        } else {
            /* gnum wins over the 202205 gseqno when both are there */
            if (v != NULL &&
                (strcmp(name, "gnum") == 0 || (strcmp(name, "gseqno") == 0 && l->gnum == 0)))
                l->gnum = strtol(v, NULL, 10);
            free(v);
        }
    }
    if (l->invt_no == NULL)
        return CG_ERR_SET(err, CG_EPARSE, "receipt CEB792: a SummaryResultList has no invtNo");
    return CG_OK;
}

static int fill(struct cg_receipt_event *e, int type, xmlNodePtr ent, struct cg_err *err)
{
    xmlNodePtr c;

    for (c = ent->children; c != NULL; c = c->next) {
        char **dst;

        if (!in_ceb(c))
            continue;
        /* CEB792: the head carries the keys; the list (inventories of the summary) is not an
         * event of its own but the event's lines. */
        if (type == 792 && strcmp((const char *)c->name, "SummaryResultHead") == 0) {
            int rc = fill(e, type, c, err);
            if (rc != CG_OK)
                return rc;
            continue;
        }
        if (type == 792 && strcmp((const char *)c->name, "SummaryResultList") == 0) {
            int rc = add_line(e, c, err);
            if (rc != CG_OK)
                return rc;
            continue;
        }
        dst = slot(e, type, (const char *)c->name);
        if (dst == NULL || *dst != NULL)
            continue; /* unknown field, or a repeated one: the first wins */
        if (!text_of(c, dst))
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    return CG_OK;
}

int cg_receipt_parse(xmlDocPtr doc, struct cg_receipt_event **events, size_t *n, struct cg_err *err)
{
    struct cg_receipt_event *ev = NULL;
    const struct rtype *rt = NULL;
    xmlNodePtr root, c;
    xmlChar *mguid = NULL;
    size_t count = 0, cap = 0, i;
    int type, rc = CG_OK;

    root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL)
        return CG_ERR_SET(err, CG_EPARSE, "receipt: empty document");
    if (!in_ceb(root))
        return CG_ERR_SET(err, CG_EPARSE, "receipt: root element %s is not in the CEB namespace",
                          (const char *)root->name);
    type = cg_msg_type_of(doc);
    for (i = 0; i < sizeof(rtypes) / sizeof(rtypes[0]); i++)
        if (rtypes[i].type == type)
            rt = &rtypes[i];
    if (rt == NULL)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "receipt: %s is not a receipt cebgate knows",
                          (const char *)root->name);
    mguid = xmlGetNoNsProp(root, (const xmlChar *)"guid");
    if (mguid == NULL || mguid[0] == '\0') {
        rc = CG_ERR_SET(err, CG_EPARSE, "receipt CEB%d: the root has no guid", type);
        goto done;
    }
    for (c = root->children; c != NULL; c = c->next) {
        struct cg_receipt_event *e;
        long st;
        char *end;

        if (!in_ceb(c))
            continue;
        if (strcmp((const char *)c->name, rt->entity) != 0) {
            rc = CG_ERR_SET(err, CG_EPARSE, "receipt CEB%d: unexpected element %s (expected %s)",
                            type, (const char *)c->name, rt->entity);
            goto done;
        }
        if (count == cap) {
            size_t ncap = cap == 0 ? 8 : cap * 2;
            struct cg_receipt_event *nev = realloc(ev, ncap * sizeof(*ev));
            if (nev == NULL) {
                rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
                goto done;
            }
            memset(nev + cap, 0, (ncap - cap) * sizeof(*ev));
            ev = nev;
            cap = ncap;
        }
        e = &ev[count++];
        e->msg_type = type;
        e->msg_guid = cg_strdup((const char *)mguid);
        if (e->msg_guid == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        rc = fill(e, type, c, err);
        if (rc != CG_OK)
            goto done;
        if (e->guid == NULL) {
            rc = CG_ERR_SET(err, CG_EPARSE, "receipt CEB%d: %s %zu has no guid", type, rt->entity,
                            count);
            goto done;
        }
        if (e->return_status == NULL) {
            rc = CG_ERR_SET(err, CG_EPARSE, "receipt CEB%d: %s %zu (guid %s) has no %s", type,
                            rt->entity, count, e->guid, type == 792 ? "decState" : "returnStatus");
            goto done;
        }
        st = strtol(e->return_status, &end, 10);
        if (type == 792) {
            /* decState is a code such as "A" or "1": kept as written, status 0 unless numeric. */
            e->status = end != e->return_status && *end == '\0' ? st : 0;
            continue;
        }
        if (end == e->return_status || *end != '\0' || strlen(e->return_status) > 10) {
            rc = CG_ERR_SET(err, CG_EPARSE,
                            "receipt CEB%d: %s %zu (guid %s): status '%s' is not "
                            "a number",
                            type, rt->entity, count, e->guid, e->return_status);
            goto done;
        }
        e->status = st;
    }
    if (count == 0) {
        rc = CG_ERR_SET(err, CG_EPARSE, "receipt CEB%d: no %s element", type, rt->entity);
        goto done;
    }
    *events = ev;
    *n = count;
    ev = NULL;
    count = 0;
done:
    cg_receipt_events_free(ev, count);
    xmlFree(mguid);
    return rc;
}
