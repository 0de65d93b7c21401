/*
 * port-submit.c - checking and storing one POSTed message, and the transport-level answer.
 *
 * Order of checks (the first failure answers): empty body (0001), shape bounds on the bytes
 * (0999), UTF-8 only (0001: the bounds count bytes, so no other encoding may reach libxml2), no
 * DOCTYPE (0001, on the bytes: libxml2 would parse it first), safe parse (0001: not well-formed,
 * DOCTYPE/entities), DxpMsg unwrap (0001), CEB root,
 * kind and guid (0001/4005), same guid seen before (same bytes from the same sender: accepted
 * again; else 4001), signature (1001 missing, several, not covering the root, untrusted or not
 * allowed to sign, not the sending sender's; 1004 does not match the data), schema (0002),
 * document rules (4001 duplicate guid, 4003 totals, 4004 unknown code, 4006 an enterprise code
 * that is not the sender's, 4007 a summary listing an invtNo twice), CPU budget (0998, between
 * the steps), then in the writer 4001/4002 duplicates, 4006 for a change of another sender's
 * document and 4007 for a summary whose inventories have more lines than one CEB792 may carry; one
 * transaction stores the message, its documents, their scenario and the first receipts. A database
 * failure answers 3001 (HTTP 500) and stores nothing, so the sender's retry is safe; a refusal that
 * cannot be recorded is answered 3001 too, and the answer never carries the database's error,
 * which is logged (at most once a minute, port-lograte.c). Every checked message leaves a
 * submissions row with its answer, and the sender it came from. Answer texts have
 * control, bidi and zero-width characters and bytes that are not UTF-8 escaped (cg_text_show)
 * before they are logged, answered or put in a CEB900, which never carries the refused body.
 *
 * The checks that need no database run in the thread that received the message
 * (cg_port_job_check), which frees the parsed trees when they end: an accepted job waits for the
 * writer with its CEB bytes and its documents as JSON text, a refused one with its answer. The
 * seen-before check and everything after the business rules run in the writer
 * (cg_port_jobs_store), which takes the jobs that arrived together into one transaction, one
 * savepoint per stored message, and commits once: the answers go out after that commit, so
 * "accepted" still means stored durably. The seen-before check runs in the
 * writer because only there is it exact for messages arriving at the same moment; its answer
 * takes the place of whatever the later checks found, so the answers are those of the
 * documented order of checks. When the group cannot commit, it is rolled back and every job
 * runs again in a transaction of its own.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/text.h"
#include "port/port-int.h"

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
    char raw[sizeof(res->text)];
    va_list ap;

    cg_strlcpy(res->code, code, sizeof(res->code));
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    /* The text quotes message content and is shown to the sender, logged and put into CEB900
     * receipts: control, bidi and zero-width characters and bytes that are not UTF-8 are written
     * as visible escapes, so no text taken from a message can break a log line or change how a
     * reader sees the answer. */
    cg_text_show(raw, res->text, sizeof(res->text));
    /* 4006 (a document for another sender's enterprise code) is 422 like every other refusal
     * of a message's content: senders take 401 and 403 as refused credentials or a wrong URL and
     * keep the message queued (docs/http-transport.md), so a 403 here held the document, and every
     * message queued behind it, back for ever. Only 1999 (nobody known) and /metrics are 403. */
    if (strcmp(code, "0000") == 0)
        res->http_status = 200;
    else if (strcmp(code, "0999") == 0)
        res->http_status = 413;
    else if (strcmp(code, "3998") == 0)
        res->http_status = 429;
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

/* row: the receipt's number among all receipts. Not the sender's own number: two senders' receipts
 * of the same type and guid (a CEB900 carries the refused message's guid, which a sender chooses)
 * would then have one name, and the later file would replace the earlier. The folder holds every
 * sender's receipts, so it is the operator's or a single sender's. */
static int write_receipt_file(struct cg_port *p, long row, int type, const char *guid,
                              const char *xml, size_t len, struct cg_err *err)
{
    char name[128];

    if (p->receipts_dir == NULL)
        return CG_OK;
    snprintf(name, sizeof(name), "CEB%d_%s_%012ld.xml", type, guid, row);
    if (!cg_fs_name_ok(name))
        return CG_ERR_SET(err, CG_EINVAL, "receipt file name %s is not safe", name);
    return cg_fs_write_atomic(p->receipts_dir, name, xml, len, err);
}

int cg_port_publish(struct cg_port *p, long document_id, const char *sender, int type,
                    const char *msg_guid, const char *doc_guid, const char *status, xmlDocPtr rdoc,
                    struct cg_err *err)
{
    char *xml = NULL;
    size_t len = 0;
    char when[32];
    int copies = p->fault_twice ? 2 : 1;
    int64_t row = 0;
    int rc;
    int i;

    rc = cg_xml_serialize(rdoc, &xml, &len, err);
    if (rc != CG_OK)
        return rc;
    iso_now(when);
    for (i = 0; i < copies && rc == CG_OK; i++) {
        rc = cg_store_port_receipt_add(p->db, document_id, sender, type, msg_guid, doc_guid, status,
                                       when, xml, len, NULL, &row, err);
        if (rc == CG_OK)
            rc = write_receipt_file(p, (long)row, type, msg_guid, xml, len, err);
    }
    free(xml);
    return rc;
}

/* ------------------------------------------------------------------ recording */

/* Whose the job is: the authenticated sender, else the one its signature was attributed to. */
static const struct cg_port_sender *whose(const struct cg_port_job *c)
{
    return c->sender != NULL ? c->sender : c->owner;
}

static const char *sender_name(const struct cg_port_job *c)
{
    return whose(c) != NULL ? whose(c)->name : NULL;
}

static int record(struct cg_port_job *c, bool duplicate, struct cg_err *err)
{
    struct cg_store_port_submission m;
    char when[32];

    iso_now(when);
    memset(&m, 0, sizeof(m));
    m.received_at = when;
    m.guid = c->res.guid;
    m.msg_type = c->res.msg_type;
    m.size = (int64_t)c->len;
    m.sha256 = c->sha;
    m.code = c->res.code;
    m.duplicate = duplicate;
    m.text = c->res.text;
    m.remote = c->remote;
    m.sender = sender_name(c);
    return cg_store_port_submission_add(c->p->db, &m, err);
}

/* Record a refusal (and its CEB900 for format errors) inside the writer's transaction. */
static int record_reject_in_tx(struct cg_port_job *c, struct cg_err *err)
{
    xmlDocPtr rdoc = NULL;
    char guid[40];
    char status[8];
    char t17[18];
    char type[16];
    char info[256];
    size_t lead;
    size_t n;
    int r;

    r = record(c, false, err);
    /* A CEB900 goes only to the sender that sent the message; with nobody to give it to, the
     * refusal stays in the transport answer and in submissions. */
    if (r != CG_OK || !c->p->format_receipts || sender_name(c) == NULL ||
        (strcmp(c->res.code, "0001") != 0 && strcmp(c->res.code, "0002") != 0))
        return r;
    /* The message's guid only when the message was verified and attributed to this sender:
     * a guid taken from anything else could name somebody else's message. */
    if (c->owner != NULL && strlen(c->res.guid) == 36)
        cg_strlcpy(guid, c->res.guid, sizeof(guid));
    else
        cg_guid_new(guid);
    snprintf(status, sizeof(status), "-%s", c->res.code);
    cg_port_time17(c->now, t17);
    snprintf(type, sizeof(type), "CEB%dMessage", c->res.msg_type);
    /* A bounded description (the cleaned answer text, cut on a character), never the body. */
    cg_strlcpy(info, c->res.text, sizeof(info));
    n = strlen(info);
    for (lead = n; lead > 0 && ((unsigned char)info[lead - 1] & 0xc0) == 0x80; lead--)
        ;
    if (lead > 0 && ((unsigned char)info[lead - 1] & 0x80) != 0) {
        unsigned char b0 = (unsigned char)info[lead - 1];
        size_t want = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : 2;

        if (n - (lead - 1) < want)
            info[lead - 1] = '\0'; /* a character cut by the bound is dropped whole */
    }
    r = cg_port_receipt_build_900(guid, status, info, t17, c->owner != NULL ? c->cop_msg_id : "",
                                  c->res.msg_type != 0 && c->owner != NULL ? type : "Unknown", NULL,
                                  0, &rdoc, err);
    if (r == CG_OK)
        r = cg_port_publish(c->p, 0, sender_name(c), 900, guid,
                            c->owner != NULL ? c->res.guid : guid, status, rdoc, err);
    xmlFreeDoc(rdoc);
    return r;
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

/*
 * Whose message it is: the sender whose sign_cert made the signature. A signature by the
 * port's own TLS certificate, by a certificate no sender registered, or by another sender's
 * certificate than the one that sent it (transport identity) is refused with 1001. The last two
 * get the same answer, so a sender cannot learn whether a certificate it holds is another
 * sender's: only the port's log tells them apart. With no [sender.NAME] at all (in-process use
 * without a network) nobody is attributed.
 */
static int attribute(struct cg_port_job *c, const struct cg_sig_info *info)
{
    const struct cg_port_sender *owner;
    char subject[sizeof(info->subject)];
    char whose[160];

    if (c->p->server_fp[0] != '\0' && strcmp(info->sha256, c->p->server_fp) == 0)
        return answer(&c->res, "1001",
                      "message %s is signed with the port's own TLS certificate, which never "
                      "signs messages",
                      c->res.guid);
    if (c->p->nsenders == 0)
        return CG_OK;
    owner = cg_port_sender_by_signer(c->p, info->sha256);
    if (owner == NULL && c->sender == NULL)
        return answer(&c->res, "1001",
                      "message %s: the signing certificate is not registered to any sender "
                      "(sign_cert)",
                      c->res.guid);
    /* no sender (in-process): the certificate's owner owns the message */
    if (owner == NULL || (c->sender != NULL && owner != c->sender)) {
        if (owner != NULL)
            snprintf(whose, sizeof(whose), "a sign_cert of sender %s", owner->name);
        else
            cg_strlcpy(whose, "no sender's sign_cert", sizeof(whose));
        /* the subject is the certificate's, which the message carries: escaped */
        cg_info("port: message %s from sender %s (%s) is signed with %s (SHA-256 %s), %s",
                c->res.guid, c->sender != NULL ? c->sender->name : "-",
                c->remote[0] != '\0' ? c->remote : "-",
                cg_text_show(info->subject, subject, sizeof(subject)), info->sha256, whose);
        return answer(&c->res, "1001",
                      "message %s: the signing certificate is not one of this sender's "
                      "(sign_cert)",
                      c->res.guid);
    }
    c->owner = owner;
    return CG_OK;
}

static int over_budget(struct cg_port_job *c, int64_t t0);

/*
 * The signature. Verifying canonicalizes the whole message, so it is the costliest check: a
 * failed first pass is followed by a second one (without the trust store, to tell an untrusted
 * certificate from a signature that does not match) only while the checks since t0 are within
 * cpu_budget_ms; past it the answer is 0998.
 */
static int check_signature(struct cg_port_job *c, int64_t t0)
{
    xmlNodePtr root = xmlDocGetRootElement(c->doc);
    xmlNodePtr sig = NULL;
    xmlNodePtr si;
    xmlNodePtr ref;
    xmlChar *uri = NULL;
    struct cg_sig_info info;
    struct cg_err e1;
    struct cg_err e2;
    int count = 0;
    int n = 0;

    find_signatures(root, &count, &sig);
    if (count == 0) {
        if (!c->p->require_signature) {
            c->owner = c->sender; /* unsigned (test set-ups): the transport identity decides */
            return CG_OK;
        }
        return answer(&c->res, "1001", "message %s is not signed (no ds:Signature)", c->res.guid);
    }
    if (count > 1)
        return answer(&c->res, "1001",
                      "message %s carries %d ds:Signature elements; exactly one "
                      "enveloped signature is accepted",
                      c->res.guid, count);
    if (sig->parent != root)
        return answer(&c->res, "1001",
                      "message %s: ds:Signature is not a child of the root element, so it does "
                      "not sign the whole message (signature wrapping)",
                      c->res.guid);
    si = ds_child(sig, "SignedInfo", &n);
    ref = ds_child(si, "Reference", &n);
    if (ref == NULL || n != 1)
        return answer(&c->res, "1001",
                      "message %s: the signature must have exactly one ds:Reference (it has %d)",
                      c->res.guid, n);
    uri = xmlGetProp(ref, CGX("URI"));
    if (uri == NULL || uri[0] != '\0') {
        answer(&c->res, "1001",
               "message %s: the signature does not cover the whole root: Reference URI is %s%s%s "
               "where only URI=\"\" is accepted (signature wrapping)",
               c->res.guid, uri != NULL ? "'" : "", uri != NULL ? (const char *)uri : "missing",
               uri != NULL ? "'" : "");
        xmlFree(uri);
        return CG_EREJECT;
    }
    xmlFree(uri);
    cg_err_clear(&e1);
    if (cg_verify_info(c->doc, c->p->trust, &info, &e1) == CG_OK)
        return attribute(c, &info);
    if (over_budget(c, t0) != CG_OK)
        return CG_EREJECT;
    cg_err_clear(&e2);
    /* e1 is "untrusted certificate: SUBJECT: REASON": REASON is OpenSSL's fixed text for the
     * verify error code (see check_trust in declare-verify.c), SUBJECT the subject of the
     * sender's own signing certificate, which answer() escapes like any text of the message
     * (as it does any other text of e1). */
    if (cg_verify(c->doc, NULL, &e2) == CG_OK)
        return answer(&c->res, "1001", "message %s: signature certificate is not trusted: %s",
                      c->res.guid, e1.msg);
    /* Only a mismatch of digest or signature value is 1004; a signature of the wrong shape, a
     * certificate that may not sign or cannot be read is 1001. */
    if (strncmp(e2.msg, "digest mismatch", 15) != 0 && strncmp(e2.msg, "wrong key", 9) != 0 &&
        strncmp(e2.msg, "signature cannot be processed", 29) != 0)
        return answer(&c->res, "1001", "message %s: %s", c->res.guid, e2.msg);
    return answer(&c->res, "1004", "message %s: signature does not match the data: %s", c->res.guid,
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

/*
 * A DXP CopMsgId as transport peers make them: 1 to 64 letters, digits and ".:_-". The
 * envelope is outside the signature, so anything else is not carried into a receipt.
 */
static bool cop_msg_id_ok(const char *id)
{
    size_t n = strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:_-");

    return n > 0 && n <= 64 && id[n] == '\0';
}

/* The answer to a DOCTYPE, the same whether it is found on the bytes or by the parser. */
#define NO_DOCTYPE "a DOCTYPE declaration is not allowed (DTDs and entities are refused)"

/* Parse, unwrap and identify; fills c->doc, c->kind, res->guid/msg_type. */
static int parse_message(struct cg_port_job *c)
{
    struct cg_err err;
    xmlNodePtr root;
    xmlChar *guid;
    char why[160];
    int rc;

    cg_err_clear(&err);
    if (c->len == 0)
        return answer(&c->res, "0001", "empty body: POST the CEB message (or a dxp:DxpMsg)");
    if (cg_port_xml_bounds(c->p, c->body, c->len, why, sizeof(why)) != CG_OK)
        return answer(&c->res, "0999", "message refused before parsing: it has %s", why);
    if (cg_port_xml_utf8(c->body, c->len, why, sizeof(why)) != CG_OK)
        return answer(&c->res, "0001", "%s", why);
    if (cg_port_xml_prolog(c->body, c->len) != CG_OK)
        return answer(&c->res, "0001", "message: " NO_DOCTYPE);
    rc = cg_xml_parse(c->body, c->len, "message", &c->env, &err);
    if (rc != CG_OK)
        return answer(&c->res, "0001", "%s", err.msg);
    root = xmlDocGetRootElement(c->env);
    if (root->ns != NULL && xmlStrEqual(root->ns->href, CGX(CG_NS_DXP)) &&
        xmlStrEqual(root->name, CGX("DxpMsg"))) {
        text_of(child_el(root, CG_NS_DXP, "TransInfo"), CG_NS_DXP, "CopMsgId", c->cop_msg_id,
                sizeof(c->cop_msg_id));
        /* An implausible CopMsgId is dropped, not refused: the CEB900's oriCopMsgId (which
         * may be empty) is its only use, and the message's own refusal reason stays the one
         * the sender sees. */
        if (!cop_msg_id_ok(c->cop_msg_id))
            c->cop_msg_id[0] = '\0';
        rc = cg_dxp_unwrap(c->env, &c->inner, &c->xml_len, &err);
        if (rc != CG_OK)
            return answer(&c->res, "0001", "dxp:DxpMsg: %s", err.msg);
        c->xml = c->inner;
        if (cg_port_xml_bounds(c->p, c->inner, c->xml_len, why, sizeof(why)) != CG_OK)
            return answer(&c->res, "0999", "dxp:Data refused before parsing: it has %s", why);
        if (cg_port_xml_utf8(c->inner, c->xml_len, why, sizeof(why)) != CG_OK)
            return answer(&c->res, "0001", "dxp:Data: %s", why);
        if (cg_port_xml_prolog(c->inner, c->xml_len) != CG_OK)
            return answer(&c->res, "0001", "DxpMsg Data: " NO_DOCTYPE);
        rc = cg_xml_parse(c->inner, c->xml_len, "DxpMsg Data", &c->doc, &err);
        if (rc != CG_OK)
            return answer(&c->res, "0001", "%s", err.msg);
    } else {
        c->doc = c->env;
        c->env = NULL;
    }
    root = xmlDocGetRootElement(c->doc);
    c->res.msg_type = cg_msg_type_of(c->doc);
    guid = xmlGetProp(root, CGX("guid"));
    if (guid != NULL && !cg_port_guid_ok((const char *)guid)) {
        xmlFree(guid);
        return answer(&c->res, "0001",
                      "the root guid is not 1 to 40 letters, digits and '-' (a UUID)");
    }
    if (guid != NULL)
        cg_strlcpy(c->res.guid, (const char *)guid, sizeof(c->res.guid));
    xmlFree(guid);
    if (c->res.msg_type == 0)
        return answer(&c->res, "0001",
                      "root element %s is not a CEB message (namespace " CG_NS_CEB ")",
                      (const char *)root->name);
    c->kind = cg_port_kind_find(c->res.msg_type);
    if (c->kind == NULL)
        return answer(&c->res, "4005", "CEB%dMessage is not a message this port takes",
                      c->res.msg_type);
    if (c->res.guid[0] == '\0')
        return answer(&c->res, "0002", "CEB%dMessage has no guid attribute", c->res.msg_type);
    return CG_OK;
}

/*
 * The guid was seen before: same bytes answer accepted again, other bytes are refused. Inside
 * the writer's transaction; a database failure returns its code with err filled.
 */
static int add_seen_doc(const char *guid, const char *pre_no, const char *invt_no, void *ctx)
{
    struct cg_port_result *res = ctx;
    size_t i;

    if (res->ndocs >= CG_PORT_MAX_DOCS)
        return CG_OK;
    i = res->ndocs++;
    cg_strlcpy(res->docs[i].guid, guid, sizeof(res->docs[i].guid));
    cg_strlcpy(res->docs[i].pre_no, pre_no, sizeof(res->docs[i].pre_no));
    cg_strlcpy(res->docs[i].invt_no, invt_no, sizeof(res->docs[i].invt_no));
    return CG_OK;
}

static int check_seen(struct cg_port_job *c, bool *seen, struct cg_err *err)
{
    char sha[65];
    char by[128];
    int64_t mid = 0;
    bool mine;
    int rc;

    *seen = false;
    rc = cg_store_port_message_find(c->p->db, c->res.guid, &mid, sha, by, sizeof(by), err);
    if (rc == CG_ENOTFOUND)
        return CG_OK;
    if (rc != CG_OK)
        return rc;
    *seen = true;
    /* The same bytes from another sender are not its retry: it learns nothing of them, not
     * even whether they are the same, only that the guid is taken (the text is true whatever
     * that other message holds). */
    mine = strcmp(by, sender_name(c) != NULL ? sender_name(c) : "") == 0;
    if (!mine) {
        answer(&c->res, "4001",
               "guid %s is already used by another sender's message; a new message needs a "
               "new guid",
               c->res.guid);
        return record_reject_in_tx(c, err);
    }
    if (strcmp(sha, c->sha) != 0) {
        answer(&c->res, "4001",
               "guid %s was already used by another message with different content; "
               "a new message needs a new guid",
               c->res.guid);
        return record_reject_in_tx(c, err);
    }
    c->res.ndocs = 0;
    rc = cg_store_port_message_docs(c->p->db, mid, add_seen_doc, &c->res, err);
    if (rc != CG_OK)
        return rc;
    c->res.duplicate = true;
    answer(&c->res, "0000",
           "message %s was accepted before; this copy is the same and is not "
           "stored again",
           c->res.guid);
    return record(c, true, err);
}

/* ------------------------------------------------------------------ storing */

static int set_str(json_t *ent, const char *name, const char *value)
{
    return json_object_set_new(ent, name, json_string(value)) == 0 ? CG_OK : CG_ENOMEM;
}

/*
 * The customs office the numbers of ent are formed with: its customsCode when that is 4 digits,
 * else [port] customs_code. The schema asks only for 4 characters, and a code of other
 * characters cannot form an invtNo or entryId; that is the message's data, never a failure.
 */
static const char *customs_of(const struct cg_port_job *c, const json_t *ent)
{
    const char *code = cg_port_field(ent, "customsCode");

    if (strlen(code) != 4 || strspn(code, "0123456789") != 4)
        return c->p->customs_code;
    return code;
}

/* Assign preNo (all), invtNo (inventories), sumNo and declSeqNo (summaries). */
static int assign_numbers(struct cg_port_job *c, json_t *ent, struct cg_err *err)
{
    char day[9];
    char key[16];
    char no[19];
    const char *customs;
    long serial;
    int rc;

    cg_port_day8(c->now, day);
    if (*cg_port_field(ent, "preNo") == '\0') {
        if ((rc = cg_store_port_counter_next(c->p->db, "preNo", day, &serial, err)) != CG_OK)
            return rc;
        if (cg_port_pre_no(day, serial, no) != CG_OK)
            return CG_ERR_SET(err, CG_ERANGE, "preNo serials of %s are used up", day);
        if (set_str(ent, "preNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    if (c->kind->req_type == 603 && *cg_port_field(ent, "invtNo") == '\0') {
        char year[5];

        customs = customs_of(c, ent);
        snprintf(year, sizeof(year), "%.4s", day);
        snprintf(key, sizeof(key), "%.4s%s", customs, year);
        if ((rc = cg_store_port_counter_next(c->p->db, "invtNo", key, &serial, err)) != CG_OK)
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
        if ((rc = cg_store_port_counter_next(c->p->db, "sumNo", day, &serial, err)) != CG_OK)
            return rc;
        cg_port_seq_no('S', day, serial, no);
        if (*cg_port_field(ent, "sumNo") == '\0' && set_str(ent, "sumNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        cg_port_seq_no('D', day, serial, no);
        if (set_str(ent, "declSeqNo", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        /* The customs declaration number: customs code, year, 0 (export), 9-digit serial. */
        customs = customs_of(c, ent);
        snprintf(key, sizeof(key), "%.4s%.4s", customs, day);
        if ((rc = cg_store_port_counter_next(c->p->db, "entryId", key, &serial, err)) != CG_OK)
            return rc;
        if (serial > 999999999L)
            return CG_ERR_SET(err, CG_ERANGE, "entryId serials of %s are used up", key);
        snprintf(no, sizeof(no), "%.8s0%09d", key, (int)serial);
        if (set_str(ent, "entryId", no) != CG_OK)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    return CG_OK;
}

struct close_ctx {
    struct cg_port_job *c;
    struct cg_err *err;
};

static int close_one(int64_t doc_id, const char *guid, void *vctx)
{
    struct close_ctx *x = vctx;
    char info[128];

    snprintf(info, sizeof(info), "结关 closed after departure[%s]", guid);
    return cg_store_port_schedule_add(x->c->p->db, doc_id, x->c->now + x->c->p->scenario.close_ms,
                                      604, 899, info, true, x->err);
}

/* A departure (CEB509) closes the inventories of the parcels it lists, close_ms later. */
static int close_departed(struct cg_port_job *c, const json_t *ent, int64_t did, struct cg_err *err)
{
    struct close_ctx x = {c, err};
    const json_t *it;
    size_t i;
    int rc = CG_OK;

    json_array_foreach(json_object_get(ent, "items"), i, it)
    {
        rc = cg_store_port_inventories_of(c->p->db, cg_port_field(it, "logisticsNo"), did,
                                          close_one, &x, err);
        if (rc != CG_OK)
            break;
    }
    return rc;
}

/*
 * A summary's CEB792 carries every line of every inventory it lists: one whose inventories have
 * more lines in all than max_summary_lines is refused (4007), so that no receipt grows past
 * that. did is the summary's document, stored already (its sender decides whose inventories).
 */
static int summary_fits(struct cg_port_job *c, const json_t *ent, int64_t did, struct cg_err *err)
{
    json_t *invs = NULL;
    bool over = false;
    int rc;

    rc = cg_port_summary_inventories(c->p, did, ent, &invs, &over, err);
    json_decref(invs);
    if (rc != CG_OK)
        return rc;
    if (over)
        return answer(&c->res, "4007",
                      "message %s: the inventories a summary lists may have at most %ld lines "
                      "in all (max_summary_lines), all of which its CEB792 carries; split it "
                      "into several summaries",
                      c->res.guid, c->p->max_summary_lines);
    return CG_OK;
}

/* Store an accepted message inside the writer's transaction; CG_EREJECT for 4001/4002/4006/4007. */
static int store(struct cg_port_job *c, struct cg_err *err)
{
    struct cg_store_port *db = c->p->db;
    struct cg_store_port_message m;
    struct cg_store_port_document d;
    struct cg_port_step steps[CG_PORT_MAX_STEPS];
    int64_t mid;
    int64_t did;
    json_t *ents = NULL;
    json_t *ent;
    char bkey[512];
    char found[64];
    char added_by[128];
    char when[32];
    char *doc_json = NULL;
    size_t nsteps;
    size_t i;
    size_t j;
    bool others;
    int rc = CG_OK;

    iso_now(when);
    memset(&m, 0, sizeof(m));
    m.guid = c->res.guid;
    m.msg_type = c->res.msg_type;
    m.sha256 = c->sha;
    m.received_at = when;
    m.remote = c->remote[0] != '\0' ? c->remote : NULL;
    m.sender = sender_name(c);
    m.xml = c->xml;
    m.xml_len = c->xml_len;
    if ((rc = cg_store_port_message_add(db, &m, &mid, err)) != CG_OK)
        goto done;
    /* The checks kept the documents as text (see drop_trees); the port made that text, so only
     * memory can fail here, which is a failure of the store like the database's. */
    ents = json_loads(c->ents_json, 0, NULL);
    if (!json_is_array(ents)) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory reading the documents of message %s",
                        c->res.guid);
        goto done;
    }
    json_array_foreach(ents, i, ent)
    {
        const char *guid = cg_port_field(ent, "guid");
        const char *app = cg_port_field(ent, "appType");

        rc = cg_store_port_doc_guid_used(db, guid, found, sizeof(found), added_by, sizeof(added_by),
                                         err);
        if (rc == CG_OK && sender_name(c) != NULL && strcmp(added_by, sender_name(c)) == 0) {
            rc = answer(&c->res, "4001", "document guid %s was already used in message %s", guid,
                        found);
            goto done;
        }
        if (rc == CG_OK) {
            /* another sender's (or nobody's known) message: naming it would tell this sender
             * about a message that is not its own */
            rc = answer(&c->res, "4001", "document guid %s was already used", guid);
            goto done;
        }
        if (rc != CG_ENOTFOUND)
            goto done;
        cg_port_business_key(c->kind, ent, bkey, sizeof(bkey));
        rc = cg_store_port_bkey_added(db, bkey, found, sizeof(found), added_by, sizeof(added_by),
                                      err);
        if (rc != CG_OK && rc != CG_ENOTFOUND)
            goto done;
        /* Another sender's document is not named: its guid is that sender's business. */
        others = rc == CG_OK && strcmp(added_by, sender_name(c) != NULL ? sender_name(c) : "") != 0;
        if (others && strcmp(app, "1") != 0) {
            /* a modify or delete comes from the sender that added the document */
            rc = answer(&c->res, "4006",
                        "document %s changes CEB%d %s=%s %s=%s, which another "
                        "sender added",
                        guid, c->kind->req_type, c->kind->key[0],
                        cg_port_field(ent, c->kind->key[0]), c->kind->key[1],
                        cg_port_field(ent, c->kind->key[1]));
            goto done;
        }
        if (others) {
            rc = answer(&c->res, "4002",
                        "document %s adds CEB%d %s=%s %s=%s, which another sender already added",
                        guid, c->kind->req_type, c->kind->key[0],
                        cg_port_field(ent, c->kind->key[0]), c->kind->key[1],
                        cg_port_field(ent, c->kind->key[1]));
            goto done;
        }
        if (rc == CG_OK && strcmp(app, "1") == 0) {
            /* the same document changed, or another one (another order, another seller's)
             * given a key that is taken: the hint names both */
            rc = answer(&c->res, "4002",
                        "document %s adds CEB%d %s=%s %s=%s, which document %s already "
                        "added (a change of that document needs appType 2; another document "
                        "needs its own %s)",
                        guid, c->kind->req_type, c->kind->key[0],
                        cg_port_field(ent, c->kind->key[0]), c->kind->key[1],
                        cg_port_field(ent, c->kind->key[1]), found, c->kind->key[1]);
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
        memset(&d, 0, sizeof(d));
        d.message_id = mid;
        d.guid = guid;
        d.msg_type = c->kind->req_type;
        d.app_type = app;
        d.bkey = bkey;
        d.pre_no = cg_port_field(ent, "preNo");
        d.invt_no = cg_port_field(ent, "invtNo");
        d.sum_no = cg_port_field(ent, "sumNo");
        d.doc_json = doc_json;
        d.accepted_ms = c->now;
        d.sender = sender_name(c);
        if ((rc = cg_store_port_document_add(db, &d, &did, err)) != CG_OK)
            goto done;
        if (c->kind->req_type == 701 && (rc = summary_fits(c, ent, did, err)) != CG_OK)
            goto done;
        nsteps = cg_port_scenario_plan(&c->p->scenario, c->kind, ent, steps);
        for (j = 0; j < nsteps; j++) {
            rc = cg_store_port_schedule_add(db, did, c->now + steps[j].after_ms,
                                            steps[j].receipt_type, steps[j].status, steps[j].info,
                                            j + 1 == nsteps, err);
            if (rc != CG_OK)
                goto done;
        }
        if (c->kind->req_type == 509 && c->p->scenario.close_on_departure) {
            rc = close_departed(c, ent, did, err);
            if (rc != CG_OK)
                goto done;
        }
        if (c->res.ndocs < CG_PORT_MAX_DOCS) {
            size_t k = c->res.ndocs++;

            cg_strlcpy(c->res.docs[k].guid, guid, sizeof(c->res.docs[k].guid));
            cg_strlcpy(c->res.docs[k].pre_no, cg_port_field(ent, "preNo"),
                       sizeof(c->res.docs[k].pre_no));
            cg_strlcpy(c->res.docs[k].invt_no, cg_port_field(ent, "invtNo"),
                       sizeof(c->res.docs[k].invt_no));
        }
    }
    answer(&c->res, "0000", "accepted: message %s with %zu document%s", c->res.guid, c->res.ndocs,
           c->res.ndocs == 1 ? "" : "s");
    rc = record(c, false, err);
done:
    free(doc_json);
    json_decref(ents);
    return rc;
}

static int check_documents(struct cg_port_job *c)
{
    struct cg_err err;
    const char *owner;
    const json_t *ent;
    const json_t *other;
    char code[5];
    size_t i;
    size_t j;

    cg_err_clear(&err);
    if (cg_port_entities(c->doc, c->kind, &c->ents, &err) != CG_OK)
        return answer(&c->res, "0002", "message %s: %s", c->res.guid, err.msg);
    json_array_foreach(c->ents, i, ent)
    {
        for (j = 0; j < i; j++) {
            other = json_array_get(c->ents, j);
            if (strcmp(cg_port_field(ent, "guid"), cg_port_field(other, "guid")) == 0)
                return answer(&c->res, "4001", "message %s: document guid %s appears twice",
                              c->res.guid, cg_port_field(ent, "guid"));
        }
        if (cg_port_check_document(c->kind, ent, c->p->codes, c->p->tolerance, code, &err) != CG_OK)
            return answer(&c->res, code, "message %s: %s", c->res.guid, err.msg);
        owner = cg_port_owner_field(c->kind, ent);
        if (c->owner != NULL && !cg_port_sender_has_code(c->owner, cg_port_field(ent, owner)))
            return answer(&c->res, "4006",
                          "message %s: document %s declares for %s %s, which is not an "
                          "enterprise code of sender %s",
                          c->res.guid, cg_port_field(ent, "guid"), owner, cg_port_field(ent, owner),
                          c->owner->name);
    }
    return CG_OK;
}

/* ------------------------------------------------------------------ jobs */

static struct cg_port_job *job_new(struct cg_port *p, const char *body, size_t len,
                                   const char *remote, const struct cg_port_sender *sender)
{
    struct cg_port_job *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->p = p;
    c->sender = sender;
    c->body = body;
    c->len = len;
    if (remote != NULL)
        cg_strlcpy(c->remote, remote, sizeof(c->remote));
    c->xml = body;
    c->xml_len = len;
    c->now = cg_port_now_ms();
    return c;
}

/* CPU time of the calling thread, milliseconds. */
static int64_t cpu_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Between two checks: refuse a message whose checks used more CPU than cpu_budget_ms. */
static int over_budget(struct cg_port_job *c, int64_t t0)
{
    int64_t used = cpu_ms() - t0;

    if (used <= c->p->cpu_budget_ms)
        return CG_OK;
    return answer(&c->res, "0998",
                  "message %s: its checks used %lld ms of CPU, more than the limit of %ld ms "
                  "(cpu_budget_ms); simplify the message",
                  c->res.guid, (long long)used, c->p->cpu_budget_ms);
}

/* Keep the answer the checks gave, to start again from it (see reset()). */
static void keep_verdict(struct cg_port_job *c)
{
    cg_strlcpy(c->v_code, c->res.code, sizeof(c->v_code));
    cg_strlcpy(c->v_text, c->res.text, sizeof(c->v_text));
    c->v_status = c->res.http_status;
}

/*
 * A job waits for the writer holding only what the writer needs, and its trees (libxml2's and
 * the documents' jansson objects, tens of times the size of its body) go now. A refused job
 * keeps what recording its refusal needs (guid, sha, answer, CopMsgId). An accepted job keeps
 * its CEB bytes (the body, or what was unwrapped from a DxpMsg) and its documents as compact
 * JSON text, at most twice the bytes of the CEB message, which store() reads back one message
 * at a time. CG_ENOMEM when that text cannot be made.
 */
static int drop_trees(struct cg_port_job *c)
{
    if (c->store) {
        c->ents_json = json_dumps(c->ents, JSON_COMPACT);
        if (c->ents_json == NULL)
            return CG_ENOMEM;
    } else {
        free(c->inner);
        c->inner = NULL;
        c->xml = NULL;
        c->xml_len = 0;
    }
    json_decref(c->ents);
    c->ents = NULL;
    xmlFreeDoc(c->doc);
    c->doc = NULL;
    xmlFreeDoc(c->env);
    c->env = NULL;
    return CG_OK;
}

int cg_port_job_check(struct cg_port *p, const char *body, size_t len, const char *remote,
                      const struct cg_port_sender *sender, struct cg_port_job **out)
{
    struct cg_port_job *c = job_new(p, body, len, remote, sender);
    struct cg_err err;
    int64_t t0;
    int rc;

    if (c == NULL)
        return CG_ENOMEM;
    cg_err_clear(&err);
    if (len > p->max_body) {
        rc = answer(&c->res, "0999", "message of %zu bytes is larger than the limit of %zu bytes",
                    len, p->max_body);
        goto done;
    }
    t0 = cpu_ms();
    rc = parse_message(c);
    if (over_budget(c, t0) != CG_OK) {
        rc = CG_EREJECT; /* the budget's answer replaces the parser's */
        goto done;
    }
    if (rc != CG_OK)
        goto done;
    cg_sha256_hex(c->xml, c->xml_len, c->sha);
    c->parsed = true;
    rc = check_signature(c, t0);
    /* the budget's answer replaces the signature's, whether it passed or not */
    if (over_budget(c, t0) != CG_OK)
        rc = CG_EREJECT;
    if (rc == CG_OK && cg_schema_validate(p->schema, c->doc, &err) != CG_OK)
        rc = answer(&c->res, "0002", "message %s fails the %s schema: %s", c->res.guid, p->version,
                    err.msg);
    if (rc == CG_OK)
        rc = over_budget(c, t0);
    if (rc == CG_OK)
        rc = check_documents(c);
    c->store = rc == CG_OK;
done:
    keep_verdict(c);
    if (drop_trees(c) != CG_OK) {
        cg_port_job_free(c);
        return CG_ENOMEM;
    }
    *out = c;
    return CG_OK;
}

int cg_port_job_refusal(struct cg_port *p, const char *code, const char *text, size_t len,
                        const char *remote, const struct cg_port_sender *sender,
                        struct cg_port_job **out)
{
    struct cg_port_job *c = job_new(p, NULL, len, remote, sender);

    if (c == NULL)
        return CG_ENOMEM;
    answer(&c->res, code, "%s", text);
    keep_verdict(c);
    *out = c;
    return CG_OK;
}

void cg_port_job_free(struct cg_port_job *c)
{
    if (c == NULL)
        return;
    if (c->quota) /* never recorded: its place of the day is free again */
        cg_port_quota_give_back(c->p, c->sender);
    json_decref(c->ents);
    free(c->ents_json);
    xmlFreeDoc(c->doc);
    xmlFreeDoc(c->env);
    free(c->inner);
    free(c);
}

/*
 * Back to the state the checks left. The numbers a rolled-back store assigned were only in the
 * documents it read from ents_json, which stays as the checks made it.
 */
static void reset(struct cg_port_job *c)
{
    cg_strlcpy(c->res.code, c->v_code, sizeof(c->res.code));
    cg_strlcpy(c->res.text, c->v_text, sizeof(c->res.text));
    c->res.http_status = c->v_status;
    c->res.duplicate = false;
    c->res.ndocs = 0;
}

/*
 * The database part of one job inside the writer's transaction. Returns CG_OK when the job
 * has its answer (recorded), else a database failure (err filled) and the transaction may be
 * gone: the caller rolls back.
 */
static int job_in_tx(struct cg_port_job *c, struct cg_err *err)
{
    bool seen = false;
    int rc;

    if (c->parsed) {
        rc = check_seen(c, &seen, err);
        if (rc != CG_OK || seen)
            return rc;
    }
    if (!c->store)
        return record_reject_in_tx(c, err);
    rc = cg_store_port_savepoint(c->p->db, "job", err);
    if (rc != CG_OK)
        return rc;
    rc = store(c, err);
    if (rc == CG_EREJECT) {
        /* 4001/4002/4006/4007 found while storing: undo what was stored, keep the refusal */
        c->res.ndocs = 0;
        rc = cg_store_port_rollback_to(c->p->db, "job", err);
        if (rc == CG_OK)
            rc = cg_store_port_release(c->p->db, "job", err);
        if (rc == CG_OK)
            rc = record_reject_in_tx(c, err);
        return rc;
    }
    if (rc == CG_OK)
        rc = cg_store_port_release(c->p->db, "job", err);
    return rc;
}

/* One transaction for jobs[0..n); CG_OK when committed, else rolled back. */
static int group(struct cg_port *p, struct cg_port_job **jobs, size_t n, struct cg_err *err)
{
    struct cg_err perr;
    size_t npub;
    size_t i;
    int rc;

    rc = cg_store_port_begin(p->db, err);
    if (rc != CG_OK)
        return rc;
    for (i = 0; i < n && rc == CG_OK; i++)
        rc = job_in_tx(jobs[i], err);
    /* The receipts due at once (status 2, and all of them with zero delays) go out in the
     * same transaction: one commit for the group. Under a savepoint, so a receipt that cannot
     * be published (receipts_dir failing) stays planned for the next tick instead of refusing
     * the messages. */
    if (rc == CG_OK)
        rc = cg_store_port_savepoint(p->db, "publish", err);
    if (rc == CG_OK) {
        cg_err_clear(&perr);
        if (cg_port_release_in_tx(p, cg_port_now_ms(), &npub, &perr) != CG_OK) {
            long held = 0;
            char note[96];

            if (cg_port_log_allow_own(p, CG_PORT_OWN_PUBLISH, cg_port_now_ms(), &held)) {
                cg_port_log_held(held, note, sizeof(note));
                cg_error("port: publishing receipts (tried again later): %s%s", perr.msg, note);
            }
            rc = cg_store_port_rollback_to(p->db, "publish", err);
        }
        if (rc == CG_OK)
            rc = cg_store_port_release(p->db, "publish", err);
    }
    if (rc == CG_OK)
        rc = cg_store_port_commit(p->db, err);
    if (rc != CG_OK) {
        struct cg_err rerr;

        cg_err_clear(&rerr);
        if (cg_store_port_abort(p->db, &rerr) != CG_OK)
            cg_error("port: rollback: %s", rerr.msg);
    }
    cg_store_port_reset(p->db);
    return rc;
}

/* Who sent a job, for the log: "sender NAME (ADDRESS)", the address alone when no sender is
 * known (in-process use). */
static void who_sent(const struct cg_port_job *c, char *out, size_t size)
{
    const char *remote = c->remote[0] != '\0' ? c->remote : "-";

    if (c->sender != NULL)
        snprintf(out, size, "sender %s (%s)", c->sender->name, remote);
    else
        snprintf(out, size, "%s", remote);
}

static void log_job(const struct cg_port_job *c)
{
    const struct cg_port_result *res = &c->res;
    char who[160];

    if (strcmp(res->code, "0000") == 0 && res->duplicate)
        return;
    if (strcmp(res->code, "3001") == 0)
        return; /* logged, bounded, where it failed */
    who_sent(c, who, sizeof(who));
    if (strcmp(res->code, "0000") == 0)
        cg_info("port: accepted %s CEB%d (%zu documents) from %s", res->guid, res->msg_type,
                res->ndocs, who);
    else
        cg_info("port: refused %s from %s: %s %s", res->guid[0] ? res->guid : "a message", who,
                res->code, res->text);
}

/*
 * A job that could not be stored (accepted) or recorded (refused with code): the sender is
 * answered 3001 without a word of the database's error (it names the database's path and
 * SQLite's reason), which goes to the log instead, at most once a minute for the whole port: a
 * full disk fails every request alike.
 */
static void store_failed(struct cg_port_job *c, const char *code, const char *why)
{
    char who[160];
    char note[96];
    long held = 0;

    answer(&c->res, "3001", CG_PORT_SYSTEM_ERROR);
    if (!cg_port_log_allow_own(c->p, CG_PORT_OWN_STORE, cg_port_now_ms(), &held))
        return;
    who_sent(c, who, sizeof(who));
    cg_port_log_held(held, note, sizeof(note));
    if (c->store)
        cg_error("port: could not store message %s from %s, answered 3001: %s%s",
                 c->res.guid[0] ? c->res.guid : "-", who, why, note);
    else
        cg_error("port: could not record the refusal (%s) of %s from %s, answered 3001 instead: "
                 "%s%s",
                 code, c->res.guid[0] ? c->res.guid : "a message", who, why, note);
}

/* The jobs' submissions rows are committed: each is one of its sender's messages of the day. */
static void count_recorded(struct cg_port *p, struct cg_port_job **jobs, size_t n)
{
    int64_t now = cg_port_now_ms();
    size_t i;

    for (i = 0; i < n; i++) {
        /* a place is held by the sending sender, which is whose() the job is */
        cg_port_quota_stored(p, whose(jobs[i]), jobs[i]->quota, now);
        jobs[i]->quota = false;
    }
}

void cg_port_jobs_store(struct cg_port *p, struct cg_port_job **jobs, size_t n)
{
    struct cg_err err;
    size_t i;

    pthread_mutex_lock(&p->wlock);
    cg_err_clear(&err);
    if (n > 1 && group(p, jobs, n, &err) == CG_OK) {
        count_recorded(p, jobs, n);
        goto done;
    }
    if (n > 1) {
        long held = 0;
        char note[96];

        if (cg_port_log_allow_own(p, CG_PORT_OWN_GROUP, cg_port_now_ms(), &held)) {
            cg_port_log_held(held, note, sizeof(note));
            cg_warn("port: storing %zu messages together failed (%s); storing them one by one%s", n,
                    err.msg, note);
        }
        for (i = 0; i < n; i++)
            reset(jobs[i]);
    }
    for (i = 0; i < n; i++) {
        cg_err_clear(&err);
        if (group(p, &jobs[i], 1, &err) == CG_OK) {
            count_recorded(p, &jobs[i], 1);
            continue;
        }
        reset(jobs[i]);
        /* A refusal that cannot be recorded is not answered as final either: every checked
         * message is recorded (and counts for sender_daily_max), so the answer is the retry of
         * one that could not be stored. */
        store_failed(jobs[i], jobs[i]->v_code, err.msg);
    }
done:
    pthread_mutex_unlock(&p->wlock);
    for (i = 0; i < n; i++)
        log_job(jobs[i]);
}

bool cg_port_record_refusal(struct cg_port *p, const char *code, const char *text, size_t len,
                            const char *remote, const struct cg_port_sender *sender, bool *quota)
{
    struct cg_port_job *c = NULL;
    bool recorded;

    if (cg_port_job_refusal(p, code, text, len, remote, sender, &c) != CG_OK) {
        cg_error("port: could not record a refusal (%s): out of memory", code);
        return false;
    }
    c->quota = *quota;
    *quota = false;
    if (!cg_port_writer_queue(p, c, NULL, false))
        cg_port_jobs_store(p, &c, 1);
    recorded = strcmp(c->res.code, "3001") != 0;
    cg_port_job_free(c);
    return recorded;
}

int cg_port_submit(struct cg_port *p, const char *sender, const char *body, size_t len,
                   const char *remote, struct cg_port_result *res)
{
    const struct cg_port_sender *s = NULL;
    struct cg_port_job *c = NULL;
    long retry_after = 0;
    char text[256];
    size_t i;
    int rc;

    memset(res, 0, sizeof(*res));
    for (i = 0; sender != NULL && i < p->nsenders; i++)
        if (strcmp(p->senders[i].name, sender) == 0)
            s = &p->senders[i];
    if (sender != NULL && s == NULL)
        return answer(res, "1999", "no sender %s is configured", sender);
    if (!cg_port_quota_take(p, s, cg_port_now_ms(), &retry_after)) {
        cg_port_quota_text(p, s, text, sizeof(text));
        answer(res, "3998", "%s", text);
        return CG_ERETRY;
    }
    cg_port_writer_busy(p, 1);
    rc = cg_port_job_check(p, body, len, remote, s, &c);
    if (rc != CG_OK) {
        cg_port_writer_busy(p, -1);
        cg_port_quota_give_back(p, s);
        cg_error("port: could not check a message from sender %s: out of memory",
                 s != NULL ? s->name : "-");
        return answer(res, "3001", CG_PORT_SYSTEM_ERROR);
    }
    c->quota = s != NULL;
    if (!cg_port_writer_queue(p, c, NULL, true))
        cg_port_jobs_store(p, &c, 1);
    memcpy(res, &c->res, sizeof(*res));
    cg_port_job_free(c);
    if (strcmp(res->code, "0000") == 0)
        return CG_OK;
    return res->code[0] == '3' ? CG_EDB : CG_EREJECT;
}
