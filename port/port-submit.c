/*
 * port-submit.c - checking and storing one POSTed message, and the transport-level answer.
 *
 * Order of checks (the first failure answers): empty body (0001), safe parse (0001: not
 * well-formed, DOCTYPE/entities), DxpMsg unwrap (0001), CEB root and kind (0001/4005), same
 * guid seen before (same bytes: accepted again; other bytes: 4001), signature (1001 missing,
 * several, not covering the root or untrusted certificate; 1004 does not match the data),
 * schema (0002), document rules (4001 duplicate guid, 4002 duplicate business key of an add,
 * 4003 totals, 4004 unknown code), then one transaction stores the message, its documents,
 * their scenario and the first receipts. A database failure answers 3001 (HTTP 500) and
 * stores nothing, so the sender's retry is safe. Every checked message leaves a submissions
 * row with its answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "port/port-int.h"

struct check {
    struct cg_port *p;
    const char *body;
    size_t len;
    const char *remote;
    struct cg_port_result *res;
    xmlDocPtr env;   /* DxpMsg, when wrapped */
    xmlDocPtr doc;   /* the CEB message */
    char *inner;     /* unwrapped CEB bytes */
    const char *xml; /* the CEB bytes (body or inner) */
    size_t xml_len;
    char cop_msg_id[256];
    char sha[65];
    const struct cg_port_kind *kind;
    json_t *ents;
    int64_t now;
};

static void iso_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fill the answer; returns CG_EREJECT (or CG_EDB for 3001). */
static int answer(struct cg_port_result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int answer(struct cg_port_result *res, const char *code, const char *fmt, ...)
{
    va_list ap;

    cg_strlcpy(res->code, code, sizeof(res->code));
    va_start(ap, fmt);
    vsnprintf(res->text, sizeof(res->text), fmt, ap);
    va_end(ap);
    if (strcmp(code, "0000") == 0)
        res->http_status = 200;
    else if (strcmp(code, "0999") == 0)
        res->http_status = 413;
    else if (strcmp(code, "4001") == 0 || strcmp(code, "4002") == 0)
        res->http_status = 409;
    else if (code[0] == '3')
        res->http_status = 500;
    else
        res->http_status = 422;
    if (strcmp(code, "0000") == 0)
        return CG_OK;
    return code[0] == '3' ? CG_EDB : CG_EREJECT;
}

/* ------------------------------------------------------------------ publishing receipts */

static int write_receipt_file(struct cg_port *p, long id, int type, const char *guid,
                              const char *xml, size_t len, struct cg_err *err)
{
    char name[128];

    if (p->receipts_dir == NULL)
        return CG_OK;
    snprintf(name, sizeof(name), "CEB%d_%s_%012ld.xml", type, guid, id);
    if (!cg_fs_name_ok(name))
        return CG_ERR_SET(err, CG_EINVAL, "receipt file name %s is not safe", name);
    return cg_fs_write_atomic(p->receipts_dir, name, xml, len, err);
}

int cg_port_publish(struct cg_port *p, long document_id, int type, const char *msg_guid,
                    const char *doc_guid, const char *status, xmlDocPtr rdoc, struct cg_err *err)
{
    sqlite3 *h = cg_db_handle(p->db);
    sqlite3_stmt *st = NULL;
    char *xml = NULL;
    size_t len = 0;
    char when[32];
    int copies = p->fault_twice ? 2 : 1;
    int rc;
    int r;
    int i;

    rc = cg_xml_serialize(rdoc, &xml, &len, err);
    if (rc != CG_OK)
        return rc;
    iso_now(when);
    r = sqlite3_prepare_v2(h,
                           "INSERT INTO receipts(document_id, msg_type, msg_guid, doc_guid, "
                           "status, created_at, xml) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(p->db, r, "receipt", err);
        goto done;
    }
    for (i = 0; i < copies; i++) {
        sqlite3_reset(st);
        if (document_id > 0)
            sqlite3_bind_int64(st, 1, document_id);
        else
            sqlite3_bind_null(st, 1);
        sqlite3_bind_int(st, 2, type);
        sqlite3_bind_text(st, 3, msg_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, doc_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, when, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 7, xml, (int)len, SQLITE_STATIC);
        r = sqlite3_step(st);
        if (r != SQLITE_DONE) {
            rc = cg_db_fail(p->db, r, "receipt", err);
            goto done;
        }
        rc = write_receipt_file(p, (long)sqlite3_last_insert_rowid(h), type, msg_guid, xml, len,
                                err);
        if (rc != CG_OK)
            goto done;
    }
done:
    sqlite3_finalize(st);
    free(xml);
    return rc;
}

/* ------------------------------------------------------------------ recording */

static int record(struct check *c, bool duplicate, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    char when[32];
    int r;

    iso_now(when);
    r = sqlite3_prepare_v2(cg_db_handle(c->p->db),
                           "INSERT INTO submissions(received_at, guid, msg_type, size, sha256, "
                           "code, duplicate, text, remote) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(c->p->db, r, "submission", err);
    sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC);
    if (c->res->guid[0] != '\0')
        sqlite3_bind_text(st, 2, c->res->guid, -1, SQLITE_STATIC);
    if (c->res->msg_type != 0)
        sqlite3_bind_int(st, 3, c->res->msg_type);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)c->len);
    if (c->sha[0] != '\0')
        sqlite3_bind_text(st, 5, c->sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->res->code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, duplicate ? 1 : 0);
    sqlite3_bind_text(st, 8, c->res->text, -1, SQLITE_STATIC);
    if (c->remote != NULL)
        sqlite3_bind_text(st, 9, c->remote, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE ? CG_OK : cg_db_fail(c->p->db, r, "submission", err);
}

struct reject_ctx {
    struct check *c;
    bool ceb900;
};

static int record_reject_tx(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct reject_ctx *rc = vctx;
    struct check *c = rc->c;
    xmlDocPtr rdoc = NULL;
    char guid[40];
    char status[8];
    char t17[18];
    int r;

    (void)db;
    r = record(c, false, err);
    if (r != CG_OK || !rc->ceb900)
        return r;
    if (strlen(c->res->guid) == 36)
        cg_strlcpy(guid, c->res->guid, sizeof(guid));
    else
        cg_guid_new(guid);
    snprintf(status, sizeof(status), "-%s", c->res->code);
    cg_port_time17(c->now, t17);
    {
        char type[16];

        snprintf(type, sizeof(type), "CEB%dMessage", c->res->msg_type);
        r = cg_port_receipt_build_900(guid, status, c->res->text, t17, c->cop_msg_id,
                                      c->res->msg_type != 0 ? type : "Unknown", c->xml, c->xml_len,
                                      &rdoc, err);
    }
    if (r == CG_OK)
        r = cg_port_publish(c->p, 0, 900, guid, c->res->guid, status, rdoc, err);
    xmlFreeDoc(rdoc);
    return r;
}

/* Record a refusal (and its CEB900 for format errors); a failure here is only logged. */
static void record_reject(struct check *c)
{
    struct reject_ctx rc;
    struct cg_err err;

    cg_err_clear(&err);
    rc.c = c;
    rc.ceb900 = c->p->format_receipts &&
                (strcmp(c->res->code, "0001") == 0 || strcmp(c->res->code, "0002") == 0);
    if (cg_db_tx(c->p->db, record_reject_tx, &rc, &err) != CG_OK)
        cg_error("port: recording a refused message: %s", err.msg);
}

/* ------------------------------------------------------------------ checks */

static void find_signatures(xmlNodePtr n, int *count, xmlNodePtr *first)
{
    xmlNodePtr c;

    for (c = n; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (c->ns != NULL && xmlStrEqual(c->ns->href, CGX(CG_NS_DS)) &&
            xmlStrEqual(c->name, CGX("Signature"))) {
            if ((*count)++ == 0)
                *first = c;
            continue;
        }
        find_signatures(c->children, count, first);
    }
}

static xmlNodePtr ds_child(xmlNodePtr parent, const char *name, int *n)
{
    xmlNodePtr c;
    xmlNodePtr found = NULL;

    *n = 0;
    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns != NULL &&
            xmlStrEqual(c->ns->href, CGX(CG_NS_DS)) && xmlStrEqual(c->name, CGX(name))) {
            if ((*n)++ == 0)
                found = c;
        }
    return found;
}

static int check_signature(struct check *c)
{
    xmlNodePtr root = xmlDocGetRootElement(c->doc);
    xmlNodePtr sig = NULL;
    xmlNodePtr si;
    xmlNodePtr ref;
    xmlChar *uri = NULL;
    struct cg_err e1;
    struct cg_err e2;
    int count = 0;
    int n = 0;

    find_signatures(root, &count, &sig);
    if (count == 0) {
        if (!c->p->require_signature)
            return CG_OK;
        return answer(c->res, "1001", "message %s is not signed (no ds:Signature)", c->res->guid);
    }
    if (count > 1)
        return answer(c->res, "1001",
                      "message %s carries %d ds:Signature elements; exactly one "
                      "enveloped signature is accepted",
                      c->res->guid, count);
    if (sig->parent != root)
        return answer(c->res, "1001",
                      "message %s: ds:Signature is not a child of the root element, so it does "
                      "not sign the whole message (signature wrapping)",
                      c->res->guid);
    si = ds_child(sig, "SignedInfo", &n);
    ref = ds_child(si, "Reference", &n);
    if (ref == NULL || n != 1)
        return answer(c->res, "1001",
                      "message %s: the signature must have exactly one ds:Reference (it has %d)",
                      c->res->guid, n);
    uri = xmlGetProp(ref, CGX("URI"));
    if (uri == NULL || uri[0] != '\0') {
        answer(c->res, "1001",
               "message %s: the signature does not cover the whole root: Reference URI is %s%s%s "
               "where only URI=\"\" is accepted (signature wrapping)",
               c->res->guid, uri != NULL ? "'" : "", uri != NULL ? (const char *)uri : "missing",
               uri != NULL ? "'" : "");
        xmlFree(uri);
        return CG_EREJECT;
    }
    xmlFree(uri);
    cg_err_clear(&e1);
    if (cg_verify(c->doc, c->p->trust, &e1) == CG_OK)
        return CG_OK;
    cg_err_clear(&e2);
    if (cg_verify(c->doc, NULL, &e2) == CG_OK)
        return answer(c->res, "1001", "message %s: signature certificate is not trusted: %s",
                      c->res->guid, e1.msg);
    return answer(c->res, "1004", "message %s: signature does not match the data: %s", c->res->guid,
                  e2.msg[0] != '\0' ? e2.msg : e1.msg);
}

static void text_of(xmlNodePtr parent, const char *ns, const char *name, char *out, size_t size)
{
    xmlNodePtr c;
    xmlChar *t;

    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->ns == NULL || !xmlStrEqual(c->ns->href, CGX(ns)) ||
            !xmlStrEqual(c->name, CGX(name)))
            continue;
        t = xmlNodeGetContent(c);
        cg_strlcpy(out, t != NULL ? (const char *)t : "", size);
        xmlFree(t);
        return;
    }
}

static xmlNodePtr child_el(xmlNodePtr parent, const char *ns, const char *name)
{
    xmlNodePtr c;

    for (c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns != NULL && xmlStrEqual(c->ns->href, CGX(ns)) &&
            xmlStrEqual(c->name, CGX(name)))
            return c;
    return NULL;
}

/* Parse, unwrap and identify; fills c->doc, c->kind, res->guid/msg_type. */
static int parse_message(struct check *c)
{
    struct cg_err err;
    xmlNodePtr root;
    xmlChar *guid;
    int rc;

    cg_err_clear(&err);
    if (c->len == 0)
        return answer(c->res, "0001", "empty body: POST the CEB message (or a dxp:DxpMsg)");
    rc = cg_xml_parse(c->body, c->len, "message", &c->env, &err);
    if (rc != CG_OK)
        return answer(c->res, "0001", "%s", err.msg);
    root = xmlDocGetRootElement(c->env);
    if (root->ns != NULL && xmlStrEqual(root->ns->href, CGX(CG_NS_DXP)) &&
        xmlStrEqual(root->name, CGX("DxpMsg"))) {
        text_of(child_el(root, CG_NS_DXP, "TransInfo"), CG_NS_DXP, "CopMsgId", c->cop_msg_id,
                sizeof(c->cop_msg_id));
        rc = cg_dxp_unwrap(c->env, &c->inner, &c->xml_len, &err);
        if (rc != CG_OK)
            return answer(c->res, "0001", "dxp:DxpMsg: %s", err.msg);
        c->xml = c->inner;
        rc = cg_xml_parse(c->inner, c->xml_len, "DxpMsg Data", &c->doc, &err);
        if (rc != CG_OK)
            return answer(c->res, "0001", "%s", err.msg);
    } else {
        c->doc = c->env;
        c->env = NULL;
    }
    root = xmlDocGetRootElement(c->doc);
    c->res->msg_type = cg_msg_type_of(c->doc);
    guid = xmlGetProp(root, CGX("guid"));
    if (guid != NULL)
        cg_strlcpy(c->res->guid, (const char *)guid, sizeof(c->res->guid));
    xmlFree(guid);
    if (c->res->msg_type == 0)
        return answer(c->res, "0001",
                      "root element %s is not a CEB message (namespace " CG_NS_CEB ")",
                      (const char *)root->name);
    c->kind = cg_port_kind_find(c->res->msg_type);
    if (c->kind == NULL)
        return answer(c->res, "4005", "CEB%dMessage is not a message this port takes",
                      c->res->msg_type);
    if (c->res->guid[0] == '\0')
        return answer(c->res, "0002", "CEB%dMessage has no guid attribute", c->res->msg_type);
    return CG_OK;
}

/* The guid was seen before: same bytes answer accepted again, other bytes are refused. */
static int check_seen(struct check *c, bool *seen)
{
    sqlite3 *h = cg_db_handle(c->p->db);
    sqlite3_stmt *st = NULL;
    const unsigned char *sha;
    sqlite3_int64 mid = 0;
    struct cg_err err;
    int rc = CG_OK;
    int r;

    *seen = false;
    cg_err_clear(&err);
    r = sqlite3_prepare_v2(h, "SELECT id, sha256 FROM messages WHERE guid = ?1", -1, &st, NULL);
    if (r != SQLITE_OK)
        goto dbfail;
    sqlite3_bind_text(st, 1, c->res->guid, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        sqlite3_finalize(st);
        return CG_OK;
    }
    if (r != SQLITE_ROW)
        goto dbfail;
    *seen = true;
    mid = sqlite3_column_int64(st, 0);
    sha = sqlite3_column_text(st, 1);
    if (sha == NULL || strcmp((const char *)sha, c->sha) != 0) {
        sqlite3_finalize(st);
        return answer(c->res, "4001",
                      "guid %s was already used by another message with different content; "
                      "a new message needs a new guid",
                      c->res->guid);
    }
    sqlite3_finalize(st);
    st = NULL;
    r = sqlite3_prepare_v2(h,
                           "SELECT guid, pre_no, invt_no FROM documents WHERE message_id = ?1 "
                           "ORDER BY id",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        goto dbfail;
    sqlite3_bind_int64(st, 1, mid);
    while ((r = sqlite3_step(st)) == SQLITE_ROW && c->res->ndocs < CG_PORT_MAX_DOCS) {
        const unsigned char *s;
        size_t i = c->res->ndocs++;

        s = sqlite3_column_text(st, 0);
        cg_strlcpy(c->res->docs[i].guid, s != NULL ? (const char *)s : "",
                   sizeof(c->res->docs[i].guid));
        s = sqlite3_column_text(st, 1);
        cg_strlcpy(c->res->docs[i].pre_no, s != NULL ? (const char *)s : "",
                   sizeof(c->res->docs[i].pre_no));
        s = sqlite3_column_text(st, 2);
        cg_strlcpy(c->res->docs[i].invt_no, s != NULL ? (const char *)s : "",
                   sizeof(c->res->docs[i].invt_no));
    }
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        goto dbfail;
    sqlite3_finalize(st);
    c->res->duplicate = true;
    answer(c->res, "0000",
           "message %s was accepted before; this copy is the same and is not "
           "stored again",
           c->res->guid);
    if (record(c, true, &err) != CG_OK)
        cg_error("port: recording a repeated message: %s", err.msg);
    return CG_OK;
dbfail:
    cg_db_fail(c->p->db, r, "looking up the guid", &err);
    sqlite3_finalize(st);
    rc = answer(c->res, "3001", "system error: %s", err.msg);
    return rc;
}

/* ------------------------------------------------------------------ storing */

static int exists(struct cg_db *db, const char *sql, const char *a, const char *b, char *found,
                  size_t size, struct cg_err *err)
{
    sqlite3_stmt *st = NULL;
    const unsigned char *s;
    int r;

    r = sqlite3_prepare_v2(cg_db_handle(db), sql, -1, &st, NULL);
    if (r != SQLITE_OK)
        return cg_db_fail(db, r, "lookup", err);
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        s = sqlite3_column_text(st, 0);
        cg_strlcpy(found, s != NULL ? (const char *)s : "", size);
    }
    sqlite3_finalize(st);
    if (r == SQLITE_ROW)
        return CG_EEXIST;
    return r == SQLITE_DONE ? CG_OK : cg_db_fail(db, r, "lookup", err);
}

static int set_str(json_t *ent, const char *name, const char *value)
{
    return json_object_set_new(ent, name, json_string(value)) == 0 ? CG_OK : CG_ENOMEM;
}

/* Assign preNo (all), invtNo (inventories), sumNo and declSeqNo (summaries). */
static int assign_numbers(struct check *c, json_t *ent, struct cg_err *err)
{
    char day[9];
    char key[16];
    char no[19];
    const char *customs;
    long serial;
    int rc;

    cg_port_day8(c->now, day);
    if (*cg_port_field(ent, "preNo") == '\0') {
        if ((rc = cg_port_db_next(c->p->db, "preNo", day, &serial, err)) != CG_OK)
            return rc;
        if (cg_port_pre_no(day, serial, no) != CG_OK)
            return CG_ERR_SET(err, CG_ERANGE, "preNo serials of %s are used up", day);
        if (set_str(ent, "preNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    if (c->kind->req_type == 603 && *cg_port_field(ent, "invtNo") == '\0') {
        char year[5];

        customs = cg_port_field(ent, "customsCode");
        if (strlen(customs) != 4)
            customs = c->p->customs_code;
        snprintf(year, sizeof(year), "%.4s", day);
        snprintf(key, sizeof(key), "%.4s%s", customs, year);
        if ((rc = cg_port_db_next(c->p->db, "invtNo", key, &serial, err)) != CG_OK)
            return rc;
        if (cg_port_invt_no(customs, year, serial, no) != CG_OK)
            return CG_ERR_SET(err, CG_ERANGE,
                              "cannot form an invtNo: customs code '%s' is not 4 digits or the "
                              "serials of %s are used up",
                              customs, year);
        if (set_str(ent, "invtNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    if (c->kind->req_type == 701) {
        if ((rc = cg_port_db_next(c->p->db, "sumNo", day, &serial, err)) != CG_OK)
            return rc;
        cg_port_seq_no('S', day, serial, no);
        if (*cg_port_field(ent, "sumNo") == '\0' && set_str(ent, "sumNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        cg_port_seq_no('D', day, serial, no);
        if (set_str(ent, "declSeqNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    return CG_OK;
}

static int store_tx(struct cg_db *db, void *vctx, struct cg_err *err)
{
    struct check *c = vctx;
    sqlite3 *h = cg_db_handle(db);
    sqlite3_stmt *msg = NULL;
    sqlite3_stmt *doc = NULL;
    sqlite3_stmt *sched = NULL;
    struct cg_port_step steps[CG_PORT_MAX_STEPS];
    sqlite3_int64 mid;
    sqlite3_int64 did;
    json_t *ent;
    char bkey[512];
    char found[64];
    char when[32];
    char *doc_json = NULL;
    size_t nsteps;
    size_t i;
    size_t j;
    int rc = CG_OK;
    int r;

    iso_now(when);
    r = sqlite3_prepare_v2(h,
                           "INSERT INTO messages(guid, msg_type, sha256, received_at, remote, xml) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &msg, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "INSERT INTO documents(message_id, guid, msg_type, app_type, bkey, "
                               "pre_no, invt_no, sum_no, doc, accepted_ms) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                               -1, &doc, NULL);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(h,
                               "INSERT INTO schedule(document_id, due_ms, receipt_type, status, "
                               "info, last) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                               -1, &sched, NULL);
    if (r != SQLITE_OK) {
        rc = cg_db_fail(db, r, "storing", err);
        goto done;
    }
    sqlite3_bind_text(msg, 1, c->res->guid, -1, SQLITE_STATIC);
    sqlite3_bind_int(msg, 2, c->res->msg_type);
    sqlite3_bind_text(msg, 3, c->sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(msg, 4, when, -1, SQLITE_STATIC);
    if (c->remote != NULL)
        sqlite3_bind_text(msg, 5, c->remote, -1, SQLITE_STATIC);
    sqlite3_bind_blob(msg, 6, c->xml, (int)c->xml_len, SQLITE_STATIC);
    r = sqlite3_step(msg);
    if (r != SQLITE_DONE) {
        rc = cg_db_fail(db, r, "storing the message", err);
        goto done;
    }
    mid = sqlite3_last_insert_rowid(h);
    json_array_foreach(c->ents, i, ent)
    {
        const char *guid = cg_port_field(ent, "guid");
        const char *app = cg_port_field(ent, "appType");

        rc = exists(db,
                    "SELECT m.guid FROM documents d JOIN messages m ON m.id = d.message_id "
                    "WHERE d.guid = ?1",
                    guid, NULL, found, sizeof(found), err);
        if (rc == CG_EEXIST) {
            rc = answer(c->res, "4001", "document guid %s was already used in message %s", guid,
                        found);
            goto done;
        }
        if (rc != CG_OK)
            goto done;
        cg_port_business_key(c->kind, ent, bkey, sizeof(bkey));
        if (strcmp(app, "1") == 0) {
            rc = exists(db, "SELECT guid FROM documents WHERE bkey = ?1 AND app_type = '1'", bkey,
                        NULL, found, sizeof(found), err);
            if (rc == CG_EEXIST) {
                rc = answer(c->res, "4002",
                            "document %s adds CEB%d %s=%s %s=%s, which document %s already "
                            "added (a change needs appType 2)",
                            guid, c->kind->req_type, c->kind->key[0],
                            cg_port_field(ent, c->kind->key[0]), c->kind->key[1],
                            cg_port_field(ent, c->kind->key[1]), found);
                goto done;
            }
            if (rc != CG_OK)
                goto done;
        }
        rc = assign_numbers(c, ent, err);
        if (rc != CG_OK)
            goto done;
        free(doc_json);
        doc_json = json_dumps(ent, JSON_COMPACT);
        if (doc_json == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        sqlite3_reset(doc);
        sqlite3_bind_int64(doc, 1, mid);
        sqlite3_bind_text(doc, 2, guid, -1, SQLITE_STATIC);
        sqlite3_bind_int(doc, 3, c->kind->req_type);
        sqlite3_bind_text(doc, 4, app, -1, SQLITE_STATIC);
        sqlite3_bind_text(doc, 5, bkey, -1, SQLITE_STATIC);
        sqlite3_bind_text(doc, 6, cg_port_field(ent, "preNo"), -1, SQLITE_STATIC);
        if (*cg_port_field(ent, "invtNo") != '\0')
            sqlite3_bind_text(doc, 7, cg_port_field(ent, "invtNo"), -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(doc, 7);
        if (*cg_port_field(ent, "sumNo") != '\0')
            sqlite3_bind_text(doc, 8, cg_port_field(ent, "sumNo"), -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(doc, 8);
        sqlite3_bind_text(doc, 9, doc_json, -1, SQLITE_STATIC);
        sqlite3_bind_int64(doc, 10, c->now);
        r = sqlite3_step(doc);
        if (r != SQLITE_DONE) {
            rc = cg_db_fail(db, r, "storing a document", err);
            goto done;
        }
        did = sqlite3_last_insert_rowid(h);
        nsteps = cg_port_scenario_plan(&c->p->scenario, c->kind, ent, steps);
        for (j = 0; j < nsteps; j++) {
            sqlite3_reset(sched);
            sqlite3_bind_int64(sched, 1, did);
            sqlite3_bind_int64(sched, 2, c->now + steps[j].after_ms);
            sqlite3_bind_int(sched, 3, steps[j].receipt_type);
            sqlite3_bind_int(sched, 4, steps[j].status);
            sqlite3_bind_text(sched, 5, steps[j].info, -1, SQLITE_STATIC);
            sqlite3_bind_int(sched, 6, j + 1 == nsteps ? 1 : 0);
            r = sqlite3_step(sched);
            if (r != SQLITE_DONE) {
                rc = cg_db_fail(db, r, "planning receipts", err);
                goto done;
            }
        }
        if (c->res->ndocs < CG_PORT_MAX_DOCS) {
            size_t k = c->res->ndocs++;

            cg_strlcpy(c->res->docs[k].guid, guid, sizeof(c->res->docs[k].guid));
            cg_strlcpy(c->res->docs[k].pre_no, cg_port_field(ent, "preNo"),
                       sizeof(c->res->docs[k].pre_no));
            cg_strlcpy(c->res->docs[k].invt_no, cg_port_field(ent, "invtNo"),
                       sizeof(c->res->docs[k].invt_no));
        }
    }
    answer(c->res, "0000", "accepted: message %s with %zu document%s", c->res->guid, c->res->ndocs,
           c->res->ndocs == 1 ? "" : "s");
    rc = record(c, false, err);
    /* The receipts due at once (status 2, and all of them with zero delays) go out in the
     * same transaction: one commit per accepted message. Under a savepoint, so a receipt that
     * cannot be published (receipts_dir failing) stays planned for the next tick instead of
     * refusing the message. */
    if (rc == CG_OK)
        rc = cg_db_exec(db, "SAVEPOINT publish", err);
    if (rc == CG_OK) {
        struct cg_err perr;

        cg_err_clear(&perr);
        if (cg_port_release_in_tx(c->p, c->now, &nsteps, &perr) != CG_OK) {
            cg_error("port: publishing receipts (tried again later): %s", perr.msg);
            rc = cg_db_exec(db, "ROLLBACK TO publish", err);
        }
        if (rc == CG_OK)
            rc = cg_db_exec(db, "RELEASE publish", err);
    }
done:
    free(doc_json);
    sqlite3_finalize(msg);
    sqlite3_finalize(doc);
    sqlite3_finalize(sched);
    return rc;
}

static int check_documents(struct check *c)
{
    struct cg_err err;
    const json_t *ent;
    const json_t *other;
    char code[5];
    size_t i;
    size_t j;

    cg_err_clear(&err);
    if (cg_port_entities(c->doc, c->kind, &c->ents, &err) != CG_OK)
        return answer(c->res, "0002", "message %s: %s", c->res->guid, err.msg);
    json_array_foreach(c->ents, i, ent)
    {
        for (j = 0; j < i; j++) {
            other = json_array_get(c->ents, j);
            if (strcmp(cg_port_field(ent, "guid"), cg_port_field(other, "guid")) == 0)
                return answer(c->res, "4001", "message %s: document guid %s appears twice",
                              c->res->guid, cg_port_field(ent, "guid"));
        }
        if (cg_port_check_document(c->kind, ent, c->p->codes, c->p->tolerance, code, &err) != CG_OK)
            return answer(c->res, code, "message %s: %s", c->res->guid, err.msg);
    }
    return CG_OK;
}

void cg_port_record_refusal(struct cg_port *p, const char *code, const char *text, size_t len,
                            const char *remote)
{
    struct cg_port_result res;
    struct check c;

    memset(&res, 0, sizeof(res));
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.len = len;
    c.remote = remote;
    c.res = &res;
    c.now = cg_port_now_ms();
    answer(&res, code, "%s", text);
    record_reject(&c);
}

int cg_port_submit(struct cg_port *p, const char *body, size_t len, const char *remote,
                   struct cg_port_result *res)
{
    struct check c;
    struct cg_err err;
    bool seen = false;
    int rc;

    memset(res, 0, sizeof(*res));
    memset(&c, 0, sizeof(c));
    cg_err_clear(&err);
    c.p = p;
    c.body = body;
    c.len = len;
    c.remote = remote;
    c.res = res;
    c.xml = body;
    c.xml_len = len;
    c.now = cg_port_now_ms();
    if (len > p->max_body) {
        rc = answer(res, "0999", "message of %zu bytes is larger than the limit of %zu bytes", len,
                    p->max_body);
        record_reject(&c);
        goto done;
    }
    rc = parse_message(&c);
    if (rc == CG_OK) {
        cg_sha256_hex(c.xml, c.xml_len, c.sha);
        rc = check_seen(&c, &seen);
        if (rc != CG_OK || seen)
            goto done_seen;
    }
    if (rc == CG_OK)
        rc = check_signature(&c);
    if (rc == CG_OK && cg_schema_validate(p->schema, c.doc, &err) != CG_OK)
        rc = answer(res, "0002", "message %s fails the %s schema: %s", res->guid, p->version,
                    err.msg);
    if (rc == CG_OK)
        rc = check_documents(&c);
    if (rc == CG_OK) {
        rc = cg_db_tx(p->db, store_tx, &c, &err);
        if (rc != CG_OK && rc != CG_EREJECT)
            rc = answer(res, "3001", "system error, nothing was stored; send again: %s", err.msg);
    }
    if (rc != CG_OK && strcmp(res->code, "3001") != 0)
        record_reject(&c);
    if (rc == CG_OK) {
        cg_info("port: accepted %s CEB%d (%zu documents) from %s", res->guid, res->msg_type,
                res->ndocs, remote != NULL ? remote : "-");
    } else {
        cg_info("port: refused %s from %s: %s %s", res->guid[0] ? res->guid : "a message",
                remote != NULL ? remote : "-", res->code, res->text);
    }
    goto done;
done_seen:
    if (rc != CG_OK && strcmp(res->code, "3001") != 0)
        record_reject(&c);
done:
    json_decref(c.ents);
    xmlFreeDoc(c.doc);
    xmlFreeDoc(c.env);
    free(c.inner);
    return rc;
}
