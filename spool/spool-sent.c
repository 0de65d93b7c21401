/*
 * spool-sent.c - a document's messages as they were sent, read back from archive/ (or outbox/):
 * for a return, which declares the inventory's lines again, and for a change customs can no
 * longer take, which is told what differs from the version customs concluded.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "declare/declare.h"
#include "spool/spool-int.h"

struct msg_file {
    int version;
    char name[256];
};

static int msg_file_seen(const struct cg_store_msg *m, void *vctx)
{
    struct msg_file *f = vctx;

    if (m->version == f->version)
        cg_strlcpy(f->name, m->file_name, sizeof(f->name));
    return CG_OK;
}

int spool_sent_load(struct cg_spool *sp, int64_t doc_id, int version, xmlDocPtr *out, char *name,
                    size_t name_size, struct cg_err *err)
{
    return spool_sent_load_at(sp->store, sp->dfd[D_ARCHIVE], sp->dfd[D_OUTBOX], doc_id, version,
                              out, name, name_size, err);
}

int spool_sent_load_at(struct cg_store *st, int archive_fd, int outbox_fd, int64_t doc_id,
                       int version, xmlDocPtr *out, char *name, size_t name_size,
                       struct cg_err *err)
{
    const int dirs[] = {archive_fd, outbox_fd};
    struct msg_file f;
    struct cg_buf b;
    xmlDocPtr doc = NULL, inner = NULL;
    char *xml = NULL;
    size_t i, len = 0;
    int rc;

    *out = NULL;
    memset(&f, 0, sizeof(f));
    f.version = version;
    rc = cg_store_doc_msgs(st, doc_id, msg_file_seen, &f, err);
    if (rc != CG_OK)
        return rc;
    if (f.name[0] == '\0' || cg_spool_name_problem(f.name) != NULL) {
        if (name_size > 0)
            name[0] = '\0';
        return CG_ERR_SET(err, CG_ENOTFOUND, "the message is not recorded");
    }
    if (name_size > 0)
        cg_strlcpy(name, f.name, name_size);
    cg_buf_init(&b, CG_XML_MAX);
    rc = CG_ENOTFOUND;
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == CG_ENOTFOUND; i++) {
        if (dirs[i] < 0)
            continue;
        cg_buf_reset(&b);
        rc = cg_fs_read_at(dirs[i], f.name, CG_XML_MAX, &b, err);
    }
    if (rc == CG_OK)
        rc = cg_xml_parse(cg_buf_str(&b), b.len, f.name, &doc, err);
    cg_buf_free(&b);
    if (rc != CG_OK)
        return rc;
    if (cg_msg_type_of(doc) == 0) {
        /* The DXP envelope around it. */
        rc = cg_dxp_unwrap(doc, &xml, &len, err);
        if (rc == CG_OK)
            rc = cg_xml_parse(xml, len, f.name, &inner, err);
        free(xml);
        xmlFreeDoc(doc);
        doc = inner;
        if (rc != CG_OK) {
            xmlFreeDoc(doc);
            return rc;
        }
    }
    *out = doc;
    return CG_OK;
}

/* ------------------------------------------------------------------ what changed */

/* Elements a new version writes afresh whatever the order holds: not the seller's data. */
static bool ignored(const char *name)
{
    static const char *const names[] = {"guid",  "appType", "appTime", "appStatus", "copNo",
                                        "preNo", "invtNo",  "ieDate",  "note"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0)
            return true;
    }
    return false;
}

#define LEAVES_MAX 512

struct leaf {
    const char *name; /* the element's local name */
    int item;         /* position among its list's elements (OrderList, ...), 0 in the head */
    xmlNodePtr node;
    bool matched;
};

struct leaves {
    struct leaf v[LEAVES_MAX];
    size_t n;
};

static bool has_element_child(xmlNodePtr n)
{
    for (n = n->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return true;
    }
    return false;
}

static void collect(xmlNodePtr n, int item, struct leaves *l)
{
    int pos = 0;

    for (n = n->children; n != NULL; n = n->next) {
        const char *name = (const char *)n->name;
        size_t len;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        len = strlen(name);
        if (has_element_child(n)) {
            /* OrderList, InventoryList, ...: one element per item of the order. */
            bool list = len > 4 && strcmp(name + len - 4, "List") == 0;

            collect(n, list ? ++pos : item, l);
        } else if (!ignored(name) && l->n < LEAVES_MAX) {
            l->v[l->n].name = name;
            l->v[l->n].item = item;
            l->v[l->n].node = n;
            l->v[l->n].matched = false;
            l->n++;
        }
    }
}

/* The text of a leaf, shown safely (it is the seller's), at most about 40 characters. */
static void leaf_text(xmlNodePtr n, char *out, size_t size)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *v = t != NULL ? (const char *)t : "";
    size_t len = strlen(v), keep = 44;
    char cut[48];

    /* Cut at a character's first byte, never inside a UTF-8 sequence. */
    if (len > keep) {
        while (keep > 0 && ((unsigned char)v[keep] & 0xc0) == 0x80)
            keep--;
        snprintf(cut, sizeof(cut), "%.*s...", (int)keep, v);
        v = cut;
    }
    cg_text_show(v, out, size);
    xmlFree(t);
}

/* Whether two leaves hold the same text, whole (what is shown of them may be cut). */
static bool same_text(xmlNodePtr x, xmlNodePtr y)
{
    xmlChar *a = xmlNodeGetContent(x), *b = xmlNodeGetContent(y);
    bool same = xmlStrEqual(a, b) != 0;

    xmlFree(a);
    xmlFree(b);
    return same;
}

static const char *leaf_value(const struct leaves *l, const char *name)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0 && l->v[i].node->children != NULL)
            return (const char *)l->v[i].node->children->content;
    }
    return NULL;
}

/* The entity of the message: each child of the root but its BaseTransfer and Signature. With
 * several, the one whose key element (orderNo, logisticsNo) holds key. */
static xmlNodePtr entity_of(xmlDocPtr doc, const char *key_name, const char *key)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n, only = NULL;
    int count = 0;

    for (n = root != NULL ? root->children : NULL; n != NULL; n = n->next) {
        struct leaves *l;
        const char *v;

        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "BaseTransfer") == 0 ||
            strcmp((const char *)n->name, "BaseSubscribe") == 0 ||
            strcmp((const char *)n->name, "Signature") == 0)
            continue;
        count++;
        only = n;
        if (key == NULL)
            continue;
        l = calloc(1, sizeof(*l));
        if (l == NULL)
            return NULL;
        collect(n, 0, l);
        v = leaf_value(l, key_name);
        free(l);
        if (v != NULL && strcmp(v, key) == 0)
            return n;
    }
    return count == 1 ? only : NULL;
}

static void say(char *out, size_t size, size_t *len, int *shown, int *more, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void say(char *out, size_t size, size_t *len, int *shown, int *more, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (*shown >= 3) {
        (*more)++;
        return;
    }
    if (*len >= size)
        return;
    va_start(ap, fmt);
    k = vsnprintf(out + *len, size - *len, fmt, ap);
    va_end(ap);
    *len = k < 0 ? size : *len + (size_t)k;
    (*shown)++;
}

static void name_of(const struct leaf *f, char *out, size_t size)
{
    if (f->item > 0)
        snprintf(out, size, "%s of item %d", f->name, f->item);
    else
        snprintf(out, size, "%s", f->name);
}

/* The differences between the leaves of a (declared) and b (now) into out. */
static void differences(struct leaves *a, struct leaves *b, char *out, size_t size)
{
    size_t i, j, len = 0;
    int shown = 0, more = 0;
    char what[96], was[160], now[160];

    for (i = 0; i < a->n; i++) {
        struct leaf *x = &a->v[i], *y = NULL;

        for (j = 0; j < b->n && y == NULL; j++) {
            if (!b->v[j].matched && b->v[j].item == x->item && strcmp(b->v[j].name, x->name) == 0)
                y = &b->v[j];
        }
        name_of(x, what, sizeof(what));
        leaf_text(x->node, was, sizeof(was));
        if (y == NULL) {
            say(out, size, &len, &shown, &more, "%s%s no longer given: '%s'", shown ? ", " : "",
                what, was);
            continue;
        }
        y->matched = true;
        leaf_text(y->node, now, sizeof(now));
        if (!same_text(x->node, y->node))
            say(out, size, &len, &shown, &more, "%s%s from '%s' to '%s'", shown ? ", " : "", what,
                was, now);
    }
    for (j = 0; j < b->n; j++) {
        if (b->v[j].matched)
            continue;
        name_of(&b->v[j], what, sizeof(what));
        leaf_text(b->v[j].node, now, sizeof(now));
        say(out, size, &len, &shown, &more, "%s%s added: '%s'", shown ? ", " : "", what, now);
    }
    if (more > 0 && len < size)
        snprintf(out + len, size - len, ", and %d more", more);
}

void spool_sent_changes(struct cg_spool *sp, const struct spool_seller *sel,
                        const struct cg_order *o, int msg_type, int64_t doc_id, int version,
                        char *out, size_t size)
{
    const char *key_name = msg_type == 505 ? "logisticsNo" : "orderNo";
    struct leaves *a = NULL, *b = NULL;
    struct cg_err e;
    xmlDocPtr old = NULL, now = NULL;
    xmlNodePtr ea, eb;

    if (size > 0)
        out[0] = '\0';
    cg_err_clear(&e);
    if (spool_sent_load(sp, doc_id, version, &old, NULL, 0, &e) != CG_OK)
        goto done;
    cg_err_clear(&e);
    if (cg_order_doc_placeholder(msg_type, o, sel->seller, &sp->bt, sp->schema_version, &now, &e) !=
        CG_OK)
        goto done;
    a = calloc(1, sizeof(*a));
    b = calloc(1, sizeof(*b));
    eb = entity_of(now, key_name, NULL);
    if (a == NULL || b == NULL || eb == NULL)
        goto done;
    collect(eb, 0, b);
    ea = entity_of(old, key_name, leaf_value(b, key_name));
    if (ea == NULL)
        goto done;
    collect(ea, 0, a);
    differences(a, b, out, size);
done:
    free(a);
    free(b);
    xmlFreeDoc(old);
    xmlFreeDoc(now);
}

/* ------------------------------------------------------------------ what an order declared */

/* The text of n's child element name, shown safely; "" when there is none. */
static const char *child(xmlNodePtr n, const char *name, char *buf, size_t size)
{
    for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0) {
            leaf_text(n, buf, size);
            return buf;
        }
    }
    buf[0] = '\0';
    return buf;
}

void spool_sent_order_lines(xmlDocPtr doc, const char *order_no, FILE *fp)
{
    xmlNodePtr e = entity_of(doc, "orderNo", order_no), n, head = NULL;
    char cur[64], goods[64], freight[64], a[160], b[160], c[64], d[64], f[64], g[64], h[64];

    for (n = e != NULL ? e->children : NULL; n != NULL && head == NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "OrderHead") == 0)
            head = n;
    }
    if (head == NULL) {
        fprintf(fp, "    declared: the message sent holds no order %s\n", order_no);
        return;
    }
    fprintf(fp, "    declared: currency %s  goodsValue %s  freight %s\n",
            child(head, "currency", cur, sizeof(cur)),
            child(head, "goodsValue", goods, sizeof(goods)),
            child(head, "freight", freight, sizeof(freight)));
    for (n = e->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "OrderList") != 0)
            continue;
        fprintf(fp, "    item %s: %s %s  qty %s %s  price %s  total %s\n",
                child(n, "gnum", c, sizeof(c)), child(n, "itemNo", a, sizeof(a)),
                child(n, "itemName", b, sizeof(b)), child(n, "qty", d, sizeof(d)),
                child(n, "unit", f, sizeof(f)), child(n, "price", g, sizeof(g)),
                child(n, "totalPrice", h, sizeof(h)));
    }
}
