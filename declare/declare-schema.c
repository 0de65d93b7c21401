/*
 * declare-schema.c - compiling the official XSDs once and validating documents against them.
 *
 * cg_schema_load() compiles <data_dir>/xsd/<version>/ceb-export.xsd (and, through its relative
 * import, xmldsig-core-schema.xsd from the same folder). While the schema compiles, libxml2's
 * external entity loader is replaced by one that opens local files only, so a schema can never
 * make cebgate fetch anything from the network. The compiled schema is immutable and shared;
 * each validation needs a validation context, of which the struct keeps one for reuse (taken
 * with a trylock, so a second thread validating at the same moment gets a fresh one).
 * Validation reports the first problem as "element <path>: reason", the path naming the element
 * from the root without namespace prefixes, with its position among same-named siblings where
 * there are several (/CEB303Message/Order/OrderList[2]/currency), ending in /@name for an
 * attribute libxml2's wording names, and namespace URIs dropped from that wording. "line N: " goes
 * in front when the parsed document stands on more than one line (a one-line message would say line
 * 1 or 2 of every element). Names and libxml2's words, which quote the document, are escaped by
 * cg_text_show(); the path is cut to PATH_SHOWN bytes keeping the root and the failing element.
 * Nothing is printed.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "declare/declare.h"

/*
 * Validation contexts kept for reuse, one per thread that validates at the same time (run's
 * workers, map's two threads, the port's request threads): a context keeps the buffers it grew
 * for the last document, where a fresh one per document would allocate them again. A thread
 * takes the first free slot; when all are busy it validates with a context of its own.
 */
#define NCTX 8

struct ctx_slot {
    pthread_mutex_t lock;
    xmlSchemaValidCtxtPtr vctxt; /* made on first use, reused under lock */
};

struct cg_schema {
    xmlSchemaPtr schema;
    struct ctx_slot slot[NCTX];
    int nlocks; /* slots whose mutex was initialized */
    char *path;
};

/* How much of a path an error shows: each name's first NAME_SHOWN bytes (then "..."), the
 * root and at most STEPS_SHOWN - 1 steps above the failing node, PATH_SHOWN bytes in all. */
#define NAME_SHOWN 32
#define STEPS_SHOWN 9
#define PATH_SHOWN 320

/* First problem seen during one compile or validation. */
struct first_err {
    bool set;
    int line;
    char elem[128];
    char path[PATH_SHOWN];
    char attr[128]; /* the attribute libxml2's message names, "" when none */
    char reason[512];
    xmlNodePtr node;
};

/* Copy libxml2's message without "{namespace-uri}" parts, the "Element 'x': " lead and the
 * trailing newline. The lead of an attribute's error, "Element 'x', attribute 'y': ", gives
 * y (without its namespace) into attr. */
static void clean_reason(const char *msg, char *out, size_t size, char *attr, size_t asize)
{
    static const char at[] = "', attribute '";
    size_t o = 0;
    const char *p = msg;

    attr[0] = '\0';
    if (strncmp(p, "Element '", 9) == 0) {
        const char *q = strstr(p, "': ");
        const char *a = strstr(p, at);

        if (q != NULL && a != NULL && a < q) {
            const char *name = a + strlen(at), *brace = memchr(name, '}', (size_t)(q - name));

            if (brace != NULL)
                name = brace + 1;
            snprintf(attr, asize, "%.*s", (int)(q - name), name);
        }
        if (q != NULL)
            p = q + 3;
    }
    for (; *p != '\0' && o + 1 < size; p++) {
        if (*p == '{') {
            const char *q = strchr(p, '}');
            if (q != NULL) {
                p = q;
                continue;
            }
        }
        out[o++] = *p;
    }
    while (o > 0 && (out[o - 1] == '\n' || out[o - 1] == '\r' || out[o - 1] == ' '))
        o--;
    out[o] = '\0';
}

static void on_error(void *ctx, xmlErrorPtr e)
{
    struct first_err *fe = ctx;
    xmlNodePtr node;

    if (fe->set || e == NULL || e->level < XML_ERR_ERROR)
        return;
    fe->set = true;
    node = e->node;
    fe->node = node;
    fe->line = e->line;
    if (node != NULL && node->type == XML_ELEMENT_NODE) {
        cg_strlcpy(fe->elem, (const char *)node->name, sizeof(fe->elem));
        if (fe->line <= 0)
            fe->line = (int)xmlGetLineNo(node);
    } else if (e->str1 != NULL) {
        cg_strlcpy(fe->elem, e->str1, sizeof(fe->elem));
    }
    clean_reason(e->message != NULL ? e->message : "invalid", fe->reason, sizeof(fe->reason),
                 fe->attr, sizeof(fe->attr));
}

/* One step of a path: "/", the name escaped and cut, "[pos]". */
static void put_step(char *out, size_t size, const xmlChar *name, long pos)
{
    char raw[NAME_SHOWN + 1], shown[4 * NAME_SHOWN + 1];
    size_t n = strlen((const char *)name);
    bool cut = n > NAME_SHOWN;

    if (cut) {
        n = NAME_SHOWN; /* back to the start of a UTF-8 character */
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(raw, name, n);
    raw[n] = '\0';
    cg_text_show(raw, shown, sizeof(shown));
    if (pos > 0)
        snprintf(out, size, "/%s%s[%ld]", shown, cut ? "..." : "", pos);
    else
        snprintf(out, size, "/%s%s", shown, cut ? "..." : "");
}

/* n's position (from 1) among its parent's element children of the same local name; 0 when it
 * is the only one, or the root. */
static long position(xmlNodePtr n)
{
    xmlNodePtr c;
    long pos = 0, same = 0;

    if (n->parent == NULL || n->parent->type != XML_ELEMENT_NODE)
        return 0;
    for (c = n->parent->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, n->name))
            continue;
        same++;
        if (c == n)
            pos = same;
    }
    return same > 1 ? pos : 0;
}

/* The path of node (an element; libxml2 names an attribute's element) into out: the root, then up
 * to STEPS_SHOWN - 1 steps ending at node, "/..." where steps are left out. "" for other nodes. */
static void node_path(xmlNodePtr node, char *out, size_t size)
{
    char step[STEPS_SHOWN][4 * NAME_SHOWN + 32];
    xmlNodePtr n = node, root = NULL;
    size_t k = 0, first, i, len, total;
    bool cut = false;

    out[0] = '\0';
    if (n == NULL || n->type != XML_ELEMENT_NODE)
        return;
    /* From the failing node up: the nearest steps into step[], leaf first; the root apart. */
    for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
        if (n->parent == NULL || n->parent->type != XML_ELEMENT_NODE)
            root = n;
        else if (k < STEPS_SHOWN - 1)
            put_step(step[k++], sizeof(step[0]), n->name, position(n));
        else
            cut = true;
    }
    put_step(step[k++], sizeof(step[0]), root->name, 0);
    /* step[k - 1] is the root, step[0] the failing node. Leave out the steps just below the
     * root until the rest fits. */
    first = k - 1;
    total = 0;
    for (i = 0; i < k; i++)
        total += strlen(step[i]);
    while (first > 1 && total + (cut ? 4 : 0) + 1 > size) {
        first--;
        total -= strlen(step[first]);
        cut = true;
    }
    len = (size_t)snprintf(out, size, "%s%s", step[k - 1], cut ? "/..." : "");
    for (i = first; i-- > 0 && len < size;)
        len += (size_t)snprintf(out + len, size - len, "%s", step[i]);
}

/* True when the document's elements stand on one line: its root starts on the line where its
 * last element starts (cebgate writes each message so, after the XML declaration). */
static bool on_one_line(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), last = root, c;

    for (;;) {
        for (c = last->last; c != NULL && c->type != XML_ELEMENT_NODE; c = c->prev)
            ;
        if (c == NULL)
            break;
        last = c;
    }
    return xmlGetLineNo(root) == xmlGetLineNo(last);
}

/*
 * Schema compile: only local files, never the network. The entity loader is process-wide and
 * libxml2's schema parser is not safe to run in two threads at once (concurrent compiles were
 * seen to leave parser state behind), so compiles are serialized; validation is not.
 */
static xmlExternalEntityLoader prev_loader;
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static xmlParserInputPtr local_only_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    if (url != NULL && strstr(url, "://") != NULL && strncmp(url, "file://", 7) != 0)
        return NULL; /* the schema parser then reports the import it could not load */
    return xmlNoNetExternalEntityLoader(url, id, ctxt);
}

static int compile(const char *path, struct cg_schema **out, struct cg_err *err)
{
    xmlSchemaParserCtxtPtr pctxt = NULL;
    struct cg_schema *s = NULL;
    struct first_err fe;
    int rc = CG_OK;

    memset(&fe, 0, sizeof(fe));
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (s->nlocks = 0; s->nlocks < NCTX; s->nlocks++) {
        if (pthread_mutex_init(&s->slot[s->nlocks].lock, NULL) != 0) {
            cg_schema_free(s);
            return CG_ERR_SET(err, CG_ERR, "cannot create a mutex");
        }
    }
    s->path = cg_strdup(path);
    if (s->path == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    pctxt = xmlSchemaNewParserCtxt(path);
    if (pctxt == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    xmlSchemaSetParserStructuredErrors(pctxt, on_error, &fe);
    pthread_mutex_lock(&compile_lock);
    prev_loader = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(local_only_loader);
    s->schema = xmlSchemaParse(pctxt);
    xmlSetExternalEntityLoader(prev_loader);
    pthread_mutex_unlock(&compile_lock);
    if (s->schema == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "%s: cannot compile the schema: %s", path,
                        fe.set ? fe.reason : "unreadable or not a schema");
        goto done;
    }
    s->slot[0].vctxt = xmlSchemaNewValidCtxt(s->schema);
    if (s->slot[0].vctxt == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    *out = s;
    s = NULL;
done:
    xmlSchemaFreeParserCtxt(pctxt);
    cg_schema_free(s);
    return rc;
}

int cg_schema_load_kind(const char *data_dir, const char *version, const char *kind,
                        struct cg_schema **out, struct cg_err *err)
{
    const char *file;
    struct cg_buf p;
    int rc;

    if (data_dir == NULL || data_dir[0] == '\0')
        return CG_ERR_SET(err, CG_EINVAL, "no data directory for the schemas");
    if (version == NULL)
        version = "202205";
    if (!cg_schema_version_ok(version))
        return CG_ERR_SET(err, CG_EINVAL, "schema version '%s': must be 202205 or 2018", version);
    if (kind == NULL || strcmp(kind, "export") == 0)
        file = "ceb-export.xsd";
    else if (strcmp(kind, "import") == 0)
        file = "ceb-import.xsd";
    else if (strcmp(kind, "dxp") == 0)
        file = "dxp-terminal.xsd";
    else
        return CG_ERR_SET(err, CG_EINVAL, "schema kind '%s': must be export, import or dxp", kind);
    cg_buf_init(&p, 4096);
    rc = cg_buf_addf(&p, "%s/xsd/%s/%s", data_dir, version, file);
    if (rc != CG_OK) {
        cg_buf_free(&p);
        return CG_ERR_SET(err, CG_ERANGE, "data directory path too long");
    }
    rc = compile(cg_buf_str(&p), out, err);
    cg_buf_free(&p);
    return rc;
}

int cg_schema_load(const char *data_dir, const char *version, struct cg_schema **out,
                   struct cg_err *err)
{
    return cg_schema_load_kind(data_dir, version, "export", out, err);
}

void cg_schema_free(struct cg_schema *s)
{
    if (s == NULL)
        return;
    int i;

    for (i = 0; i < s->nlocks; i++) {
        xmlSchemaFreeValidCtxt(s->slot[i].vctxt);
        pthread_mutex_destroy(&s->slot[i].lock);
    }
    xmlSchemaFree(s->schema);
    free(s->path);
    free(s);
}

/* Validate; on failure fe says what and where. */
static int run(struct cg_schema *s, xmlDocPtr doc, struct first_err *fe, struct cg_err *err)
{
    xmlSchemaValidCtxtPtr v = NULL;
    struct ctx_slot *slot = NULL;
    int i, r;

    memset(fe, 0, sizeof(*fe));
    if (s == NULL || doc == NULL || xmlDocGetRootElement(doc) == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "no schema or no document to validate");
    for (i = 0; i < NCTX && slot == NULL; i++)
        if (pthread_mutex_trylock(&s->slot[i].lock) == 0)
            slot = &s->slot[i];
    if (slot != NULL) {
        if (slot->vctxt == NULL)
            slot->vctxt = xmlSchemaNewValidCtxt(s->schema);
        v = slot->vctxt;
    } else {
        v = xmlSchemaNewValidCtxt(s->schema);
    }
    if (v == NULL) {
        if (slot != NULL)
            pthread_mutex_unlock(&slot->lock);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    xmlSchemaSetValidStructuredErrors(v, on_error, fe);
    r = xmlSchemaValidateDoc(v, doc);
    xmlSchemaSetValidStructuredErrors(v, NULL, NULL);
    if (slot != NULL)
        pthread_mutex_unlock(&slot->lock);
    else
        xmlSchemaFreeValidCtxt(v);
    if (r == 0)
        return CG_OK;
    if (!fe->set) {
        fe->set = true;
        cg_strlcpy(fe->reason, r < 0 ? "internal validation error" : "invalid", sizeof(fe->reason));
    }
    if (fe->node != NULL && fe->node->doc == doc) {
        char step[4 * NAME_SHOWN + 32] = "";

        /* An attribute's error is reported on its element: the attribute ends the path. */
        if (fe->attr[0] != '\0')
            put_step(step, sizeof(step), (const xmlChar *)fe->attr, 0);
        node_path(fe->node, fe->path, sizeof(fe->path) - strlen(step) - 1);
        if (fe->path[0] != '\0' && step[0] != '\0') {
            size_t len = strlen(fe->path);

            snprintf(fe->path + len, sizeof(fe->path) - len, "/@%s", step + 1);
        }
    }
    if (fe->line > 0 && on_one_line(doc))
        fe->line = 0;
    return CG_ESCHEMA;
}

static int report(const struct first_err *fe, const char *who, struct cg_err *err)
{
    char line[32] = "", elem[sizeof(fe->elem) * 4], reason[CG_ERR_MSG_MAX];

    if (fe->line > 0)
        snprintf(line, sizeof(line), "line %d: ", fe->line);
    cg_text_show(fe->reason, reason, sizeof(reason));
    if (fe->path[0] != '\0' || fe->elem[0] != '\0')
        return CG_ERR_SET(
            err, CG_ESCHEMA, "%s%s%selement %s: %s", who != NULL ? who : "",
            who != NULL ? ": " : "", line,
            fe->path[0] != '\0' ? fe->path : cg_text_show(fe->elem, elem, sizeof(elem)), reason);
    return CG_ERR_SET(err, CG_ESCHEMA, "%s%s%s%s", who != NULL ? who : "", who != NULL ? ": " : "",
                      line, reason);
}

int cg_schema_validate(struct cg_schema *s, xmlDocPtr doc, struct cg_err *err)
{
    struct first_err fe;
    int rc = run(s, doc, &fe, err);

    if (rc != CG_ESCHEMA)
        return rc;
    return report(&fe, NULL, err);
}

static bool is_elem(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* First descendant element called name, depth first. */
static xmlNodePtr find_desc(xmlNodePtr n, const char *name, int depth)
{
    xmlNodePtr c, r;

    if (depth > 3)
        return NULL;
    for (c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_elem(c, name))
            return c;
        r = find_desc(c, name, depth + 1);
        if (r != NULL)
            return r;
    }
    return NULL;
}

/* The child of the root that holds the failing node (NULL when none); *index is its 0-based
 * position among the root's element children of the same name. */
static xmlNodePtr entity_of(xmlDocPtr doc, const struct first_err *fe, size_t *index)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), ent, c;

    *index = 0;
    if (fe->node == NULL || fe->node->doc != doc)
        return NULL;
    for (ent = fe->node; ent != NULL && ent->parent != root; ent = ent->parent)
        if (ent->type == XML_DOCUMENT_NODE)
            return NULL;
    if (ent == NULL || ent->type != XML_ELEMENT_NODE)
        return NULL;
    for (c = root->children; c != NULL && c != ent; c = c->next)
        if (is_elem(c, (const char *)ent->name))
            (*index)++;
    return ent;
}

int cg_msg_validate_refs(struct cg_schema *s, xmlDocPtr doc, const struct cg_doc_ref *refs,
                         size_t n, struct cg_err *err)
{
    struct first_err fe;
    xmlNodePtr ent;
    char who[200] = "";
    size_t idx;
    int rc = run(s, doc, &fe, err);

    if (rc != CG_ESCHEMA)
        return rc;
    ent = entity_of(doc, &fe, &idx);
    if (ent != NULL && strcmp((const char *)ent->name, "BaseTransfer") != 0 && idx < n &&
        refs != NULL && refs[idx].order != NULL && refs[idx].order->order_no != NULL)
        snprintf(who, sizeof(who), "order %s", refs[idx].order->order_no);
    return report(&fe, who[0] != '\0' ? who : NULL, err);
}

int cg_msg_validate(struct cg_schema *s, xmlDocPtr doc, struct cg_err *err)
{
    static const struct {
        const char *elem, *label;
    } keys[] = {{"orderNo", "order"},
                {"copNo", "copNo"},
                {"coElNo", "coElNo"},
                {"logisticsNo", "logisticsNo"}};
    struct first_err fe;
    xmlNodePtr ent;
    char who[200] = "";
    size_t i, idx;
    int rc = run(s, doc, &fe, err);

    if (rc != CG_ESCHEMA)
        return rc;
    ent = entity_of(doc, &fe, &idx);
    if (ent != NULL && strcmp((const char *)ent->name, "BaseTransfer") != 0) {
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && who[0] == '\0'; i++) {
            xmlNodePtr k = find_desc(ent, keys[i].elem, 0);
            xmlChar *v = k != NULL ? xmlNodeGetContent(k) : NULL;
            if (v != NULL && v[0] != '\0')
                snprintf(who, sizeof(who), "%s %s", keys[i].label, (const char *)v);
            xmlFree(v);
        }
        if (who[0] == '\0')
            snprintf(who, sizeof(who), "%s", (const char *)ent->name);
    }
    return report(&fe, who[0] != '\0' ? who : NULL, err);
}
