/*
 * port-int.h - internals of the port module, shared by the port/ sources and its unit tests only.
 *
 * A document (one entity of a CEB message: an Order, an Inventory, ...) is handled as a jansson
 * object: every leaf child of its head (or of the flat entity) by local name, plus "items", an
 * array with one object per list line. The numbers the port assigns (preNo, invtNo, sumNo) are
 * added to the same object, so building a receipt is copying named fields.
 */
#ifndef CG_PORT_INT_H
#define CG_PORT_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "core/buf.h"
#include "declare/declare.h"
#include "port/port.h"
#include "store/store-port.h"

/* libxml2 takes const xmlChar *; BAD_CAST would drop the const of our strings. */
#define CGX(s) ((const xmlChar *)(s))

/* ------------------------------------------------------------------ message kinds */

/* A request message the port takes and the receipt it answers with. */
struct cg_port_kind {
    int req_type;         /* 303 */
    const char *entity;   /* "Order" */
    const char *head;     /* "OrderHead"; NULL when the entity is flat */
    const char *list;     /* "OrderList"; NULL when there is none */
    int ret_type;         /* 304 */
    const char *ret_elem; /* "OrderReturn" */
    const char *key[3];   /* fields of the business key, NULL-terminated */
    /* Receipt fields before returnStatus, space-separated; '?' marks an optional one. */
    const char *ret_fields;
};

/* A guid as the messages carry it (root and documents): a UUID, or at least 1 to 40 letters,
 * digits and '-'. */
bool cg_port_guid_ok(const char *g);
/* The kind for a request message type; NULL when the port does not take it. */
const struct cg_port_kind *cg_port_kind_find(int req_type);

/*
 * The entities of doc (a CEB message of kind k) as a new JSON array of document objects.
 * CG_EPARSE when an entity has no head, no guid or a guid cg_port_guid_ok() refuses.
 */
int cg_port_entities(xmlDocPtr doc, const struct cg_port_kind *k, json_t **out, struct cg_err *err);
/* Text of a string member, "" when absent or not a string. Borrowed. */
const char *cg_port_field(const json_t *ent, const char *name);
/* "303|ebpCode-value|orderNo-value" into buf. */
/* The field holding the enterprise code a document is declared for (the sender must have it):
 * key[0], but ebcCode for an order on a foreign platform (ebpCode 无). */
const char *cg_port_owner_field(const struct cg_port_kind *k, const json_t *ent);
void cg_port_business_key(const struct cg_port_kind *k, const json_t *ent, char *buf, size_t size);

/* ------------------------------------------------------------------ business rules */

/*
 * Rules that need no database: totals (goodsValue against the sum of totalPrice, totalPrice
 * against qty x price, within tolerance, a dec) and the customs code tables of mapping/
 * (currency, country, unit; codes NULL skips them), and for a summary (CEB701) that it lists
 * each invtNo once. CG_EREJECT with code set to "4003" (totals), "4004" (unknown code) or
 * "4007" (an invtNo listed twice, err naming its position, not its value) and err naming the
 * document, field and values; "3001" when out of memory.
 */
int cg_port_check_document(const struct cg_port_kind *k, const json_t *ent,
                           const struct cg_codes *codes, int64_t tolerance, char code[5],
                           struct cg_err *err);

/* ------------------------------------------------------------------ scenario */

struct cg_port_sender;

struct cg_port_rule {
    char *field;  /* local name of a head or list field */
    char *value;  /* value, or prefix when prefix is true */
    bool prefix;  /* written as VALUE* */
    char *reason; /* returnInfo of the rejection */
};

struct cg_port_scenario {
    int64_t accept_ms;  /* acceptance -> 120 (or the rule's rejection) */
    int64_t release_ms; /* acceptance -> 800 for inventories, CEB792 for summaries */
    int64_t close_ms;   /* acceptance -> 899 for inventories */
    int reject_status;  /* status a rule match ends with (100) */
    struct cg_port_rule *rules;
    size_t nrules;
    /* 899 comes close_ms after the CEB509 that lists the inventory's parcel instead */
    bool close_on_departure;
};

/* Parse "FIELD=VALUE[*]:reason|..." into sc->rules (replacing them). */
int cg_port_scenario_rules(struct cg_port_scenario *sc, const char *text, struct cg_err *err);
void cg_port_scenario_clear(struct cg_port_scenario *sc);

/* One planned receipt of a document. */
struct cg_port_step {
    int64_t after_ms; /* after acceptance */
    int receipt_type; /* 304 ... 702, or 792 */
    int status;       /* returnStatus; for 792 the decState is written instead */
    char info[512];   /* returnInfo */
};
#define CG_PORT_MAX_STEPS 5

/* The receipts a newly accepted document gets, in order; returns how many. */
size_t cg_port_scenario_plan(const struct cg_port_scenario *sc, const struct cg_port_kind *k,
                             const json_t *ent, struct cg_port_step steps[CG_PORT_MAX_STEPS]);
/* The first rule matching ent (head field or any list line), or NULL. */
const struct cg_port_rule *cg_port_scenario_match(const struct cg_port_scenario *sc,
                                                  const json_t *ent);

/* ------------------------------------------------------------------ numbers and times */

/* preNo: 'B' + yyyyMMdd + 9-digit serial (18 characters). CG_ERANGE for a bad serial/day. */
int cg_port_pre_no(const char *day8, long serial, char out[19]);
/* invtNo: 4-digit customs + 4-digit year + 'E' + 9-digit serial (18 characters). */
int cg_port_invt_no(const char *customs4, const char *year4, long serial, char out[19]);
/* sumNo and declSeqNo: letter + yyyyMMdd + 9-digit serial (18 characters). */
int cg_port_seq_no(char letter, const char *day8, long serial, char out[19]);
/* Unix milliseconds as China time (UTC+8): yyyyMMddHHmmssfff, and yyyyMMdd. A time after the
 * year 9999 does not fit these widths: out is then the empty string. */
void cg_port_time17(int64_t ms, char out[18]);
void cg_port_day8(int64_t ms, char out[9]);
int64_t cg_port_now_ms(void);

/* ------------------------------------------------------------------ receipts */

/*
 * Build the receipt of kind k for document ent: root CEB<ret_type>Message with msg_guid, one
 * <ret_elem> with k->ret_fields taken from ent, then returnStatus, returnTime, returnInfo.
 */
int cg_port_receipt_build(const struct cg_port_kind *k, const char *msg_guid, const json_t *ent,
                          const char *status, const char *info, const char *time17, xmlDocPtr *out,
                          struct cg_err *err);
/*
 * CEB792 for a summary ent (with sumNo, declSeqNo): one SummaryResult listing every line of the
 * inventories (JSON array of inventory documents). version "2018" writes gnum only.
 */
int cg_port_receipt_build_792(const char *msg_guid, const json_t *ent, const json_t *inventories,
                              const char *dec_state, const char *time17, const char *version,
                              xmlDocPtr *out, struct cg_err *err);
/* CEB900 format-check receipt for a refused message (ori may be NULL). */
int cg_port_receipt_build_900(const char *msg_guid, const char *status, const char *info,
                              const char *time17, const char *ori_cop_msg_id, const char *ori_type,
                              const char *ori, size_t orilen, xmlDocPtr *out, struct cg_err *err);

/*
 * Store a built receipt (twice with fault_receipts_twice) and write its file(s) into
 * receipts_dir. Runs inside the caller's transaction; document_id 0 for none (CEB900).
 */
int cg_port_publish(struct cg_port *p, long document_id, const char *sender, int type,
                    const char *msg_guid, const char *doc_guid, const char *status, xmlDocPtr rdoc,
                    struct cg_err *err);

/*
 * The inventories (CEB603 documents of the same sender as document doc_id) the summary ent
 * lists by invtNo, as a JSON array of their documents (*out, the caller's): each once, and no
 * more of them than fit in max_summary_lines inventory lines in all. *over is set when the
 * inventories listed have more lines than that; the array then ends before the one that
 * passes it. An invtNo of no such inventory is left out. Only database errors fail.
 */
int cg_port_summary_inventories(struct cg_port *p, int64_t doc_id, const json_t *ent, json_t **out,
                                bool *over, struct cg_err *err);

/* Publish what is due at now_ms inside the caller's transaction (at most one batch). */
int cg_port_release_in_tx(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err);

/* Record a refusal decided before the checks (413 on Content-Length) in submissions. *quota:
 * the request holds a place of its sender's sender_daily_max, which the record takes over.
 * false when it could not be recorded (logged): the caller answers CG_PORT_SYSTEM_ERROR (3001,
 * retry) instead of the refusal, so that answer and record agree. */
bool cg_port_record_refusal(struct cg_port *p, const char *code, const char *text, size_t len,
                            const char *remote, const struct cg_port_sender *sender, bool *quota);

/* Earliest due time (Unix ms) of a planned receipt, or -1 when none is planned. */
int64_t cg_port_next_due(struct cg_port *p);

/* ------------------------------------------------------------------ senders */

/* One [sender.NAME] of the port's configuration (port-sender.c). */
struct cg_port_sender {
    char *name;
    unsigned char token_sha[32]; /* SHA-256 of the token */
    bool has_token;
    char client_fp[65];   /* SHA-256 of the TLS client certificate (DER, hex); "" for none */
    char (*sign_fps)[65]; /* SHA-256 of each signing certificate */
    size_t nsign;
    char **codes; /* enterprise codes the sender declares for */
    size_t ncodes;
    size_t body_held; /* bytes of its sender_budget its requests hold now (under p->flock) */
    long daily_max;   /* [sender.NAME] daily_max (0: no limit); -1: [port] sender_daily_max */
    /* sender_daily_max (port-quota.c), under p->flock: */
    int64_t quota_day; /* the China day quota_stored counts (cg_port_china_day) */
    long quota_stored; /* its messages recorded (submissions rows) that day */
    long quota_held;   /* its POSTs admitted and not recorded yet */
    bool quota_warned; /* its first refusal of the day was logged */
};

/* ------------------------------------------------------------------ sender_daily_max */

/* Days since 1970-01-01 in China time (UTC+8) of Unix ms: the day sender_daily_max counts. */
int64_t cg_port_china_day(int64_t ms);
/* Each sender's messages recorded so far on the China day of now_ms, from the database. */
int cg_port_quota_load(struct cg_port *p, int64_t now_ms, struct cg_err *err);
/*
 * Admit one POST of sender s: true, holding one of its places of the day, while its recorded
 * messages and the POSTs it holds stay below sender_daily_max (0: no limit; s NULL: nobody's,
 * always admitted, holding nothing). false, counted and logged, with *retry_after_s the
 * seconds until the next China day, when not.
 */
bool cg_port_quota_take(struct cg_port *p, const struct cg_port_sender *s, int64_t now_ms,
                        long *retry_after_s);
/* The text of the 429 answer (code 3998): names the limit, nothing taken from the request. */
void cg_port_quota_text(const struct cg_port *p, const struct cg_port_sender *s, char *buf,
                        size_t size);
/* A POST that held a place ended without being recorded. */
void cg_port_quota_give_back(struct cg_port *p, const struct cg_port_sender *s);
/* A message of s was recorded (its submissions row committed) at now_ms; held: it held a place,
 * which becomes one of the day's. */
void cg_port_quota_stored(struct cg_port *p, const struct cg_port_sender *s, bool held,
                          int64_t now_ms);
/* s's messages recorded on the China day of now_ms (s not NULL), and POSTs refused for
 * sender_daily_max since the start (any sender). */
void cg_port_quota_usage(struct cg_port *p, const struct cg_port_sender *s, int64_t now_ms,
                         long *stored, long *refused);

/* ------------------------------------------------------------------ files of the configuration */

/* [port] listen is an address, and a loopback one unless TLS is set or insecure_http (checked
 * at start, again by cg_port_listen). */
int cg_port_listen_check(struct cg_port *p, struct cg_err *err);
/*
 * Read the file path, named by what ("[port] tls_key", "token_file"), into b (at most max
 * bytes). A missing file, a symbolic link, a file that is not regular or is too large is
 * CG_ECONFIG, "WHAT PATH: reason"; a failure to read it stays temporary (CG_EIO).
 */
int cg_port_conf_file(const char *what, const char *path, size_t max, struct cg_buf *b,
                      struct cg_err *err);
/* Warn (not refuse) when the secret file path (a key, a token) may be read by its group or by
 * others, naming it and the chmod that closes it. */
void cg_port_secret_mode(const char *what, const char *path);
/*
 * The validity period of the certificate (an X509 *) in PEM file path, named by what: CG_ECONFIG
 * ("WHAT PATH: ...") when it has ended or not begun yet; a warning naming section (may be NULL),
 * what, path and the date when it ends within CG_PORT_EXPIRY_WARN_DAYS days.
 */
#define CG_PORT_EXPIRY_WARN_DAYS 30
int cg_port_cert_dates(const void *x509, const char *section, const char *what, const char *path,
                       struct cg_err *err);

/* Read every [sender.NAME] into p->senders. */
int cg_port_senders_load(struct cg_port *p, const struct cg_conf *conf, struct cg_err *err);
void cg_port_senders_free(struct cg_port *p);
/* The sender with this token / client certificate fingerprint / signing certificate; NULL. */
const struct cg_port_sender *cg_port_sender_by_token(const struct cg_port *p, const char *tok,
                                                     size_t len);
const struct cg_port_sender *cg_port_sender_by_client(const struct cg_port *p, const char *fp);
const struct cg_port_sender *cg_port_sender_by_signer(const struct cg_port *p, const char *fp);
bool cg_port_sender_has_code(const struct cg_port_sender *s, const char *code);
/* SHA-256 (hex) of a DER certificate. */
int cg_port_der_fingerprint(const unsigned char *der, size_t len, char out[65]);

/*
 * Cheap bounds on a POSTed body before libxml2 sees it (attributes per element and in all,
 * namespace declarations per element and in all, elements, depth, text length): libxml2's
 * duplicate-attribute check is quadratic in the attributes of an element, its C14N in the
 * namespaces in scope. CG_EREJECT with why
 * filled when a bound is passed.
 */
int cg_port_xml_bounds(const struct cg_port *p, const char *body, size_t len, char *why,
                       size_t size);
/*
 * Whether a body is UTF-8 as far as its encoding shows before parsing: it starts (after an
 * optional UTF-8 byte order mark) with '<' or white space, has no NUL byte, and its XML
 * declaration, if any, names UTF-8 or no encoding. libxml2 would otherwise decode EBCDIC,
 * UTF-16 and whatever else a body declares, whose bytes cg_port_xml_bounds() cannot count.
 * CG_EREJECT with why filled when not.
 */
int cg_port_xml_utf8(const char *body, size_t len, char *why, size_t size);
/*
 * Whether the prolog of a body (what comes before its root element) is free of declarations:
 * CG_EREJECT for a DOCTYPE, which libxml2 would parse before it could be refused (the defaults
 * of an internal subset cost the square of their number).
 */
int cg_port_xml_prolog(const char *body, size_t len);
/*
 * How much of the first len bytes of a body still being received cg_port_xml_bounds() may
 * judge: all of them but a '<' (and what follows it) too near the end to tell whether it starts
 * an element, a comment, CDATA or a declaration. Every count on that part is at most the count
 * on the whole body, so a bound passed there is passed by the whole body too, and the port can
 * refuse it before the rest arrives.
 */
size_t cg_port_xml_bounds_prefix(const char *body, size_t len);

/* ------------------------------------------------------------------ submissions and the writer */

/*
 * One POSTed message on its way through the port. cg_port_job_check() runs the checks that need
 * no database (parse, signature, schema, document rules) in the calling thread, so several
 * messages are checked side by side; everything that reads or writes the database (guid seen
 * before, duplicate document guid and business key, storing, recording a refusal) then runs
 * in the writer, which stores the jobs that arrive together in one transaction.
 */
struct cg_port_job {
    struct cg_port *p;
    const char *body; /* borrowed until the job is done */
    size_t len;
    char remote[64];
    const struct cg_port_sender *sender; /* who sent it (transport identity); NULL: unknown */
    const struct cg_port_sender *owner;  /* whose it is, once signature and codes are checked */
    struct cg_port_result res;
    xmlDocPtr env;   /* DxpMsg, when wrapped */
    xmlDocPtr doc;   /* the CEB message */
    char *inner;     /* unwrapped CEB bytes */
    const char *xml; /* the CEB bytes (body or inner) */
    size_t xml_len;
    char cop_msg_id[256];
    char sha[65];
    const struct cg_port_kind *kind;
    json_t *ents;    /* the documents, while the checks run */
    char *ents_json; /* the documents of an accepted job as compact JSON text, for the writer */
    int64_t now;
    bool parsed; /* guid known: the seen-before check applies */
    bool store;  /* passed every check: store it (unless seen before) */
    /* the answer decided by the checks, restored when a group is run again job by job */
    char v_code[5];
    int v_status;
    char v_text[CG_ERR_MSG_MAX];
    bool quota; /* holds a place of its sender's sender_daily_max (port-quota.c) */
    /* writer queue */
    struct cg_port_job *next;
    void *conn; /* the suspended MHD connection to resume when done; NULL: a waiting caller */
    bool done;
};

/*
 * Run the checks that need no database; *out (caller frees with cg_port_job_free) is always
 * written unless memory runs out. body must stay valid until the job is done. When the checks
 * end the job's trees (env, doc, ents) are freed: an accepted job keeps only its CEB bytes
 * (xml) and its documents as JSON text (ents_json), which is all the writer needs.
 */
int cg_port_job_check(struct cg_port *p, const char *body, size_t len, const char *remote,
                      const struct cg_port_sender *sender, struct cg_port_job **out);
/* A refusal decided before the checks (413 on Content-Length), recorded by the writer. */
int cg_port_job_refusal(struct cg_port *p, const char *code, const char *text, size_t len,
                        const char *remote, const struct cg_port_sender *sender,
                        struct cg_port_job **out);
void cg_port_job_free(struct cg_port_job *j);
/* The database part of n jobs, in one transaction when it can (holds p->wlock). */
void cg_port_jobs_store(struct cg_port *p, struct cg_port_job **jobs, size_t n);

/* Start and stop the writer thread; without it jobs are stored in the caller's thread. */
int cg_port_writer_start(struct cg_port *p, struct cg_err *err);
void cg_port_writer_stop(struct cg_port *p);
/*
 * Hand a checked job to the writer. With conn (a suspended MHD connection) returns at once
 * (true) and the writer resumes conn when the job is done; without conn waits for it. Returns
 * false when there is no writer thread: the caller stores the job itself. counted: the job's
 * checks were announced with cg_port_writer_busy(p, 1); they have ended now.
 */
bool cg_port_writer_queue(struct cg_port *p, struct cg_port_job *j, void *conn, bool counted);
/* A message is being checked (+1) or its checks ended (-1): the writer waits for it. */
void cg_port_writer_busy(struct cg_port *p, int delta);

/* ------------------------------------------------------------------ bodies and their budget */

/* The body of one POSTed message while the port holds it (port-body.c). */
struct cg_port_body {
    struct cg_buf buf;             /* its bytes; the ceiling is the part of the budget it took */
    size_t reserved;               /* bytes of body_budget it holds */
    struct cg_port_sender *sender; /* whose sender_budget holds them too; NULL: nobody's */
};

/*
 * Take the part of body_budget a body needs before it is read: declared bytes (its
 * Content-Length), or max_body when declared is -1 (chunked); the same bytes of the sender's
 * share, sender_budget, when from is not NULL. Its buffer (b->buf, initialised here) may hold
 * that many bytes and no more; b must hold nothing (new or closed). false, with nothing taken
 * and the refusal counted, when the bodies held would pass body_budget, or else the sender's
 * would pass sender_budget; *over (optional) then names that key.
 */
bool cg_port_body_open(struct cg_port *p, struct cg_port_body *b, const struct cg_port_sender *from,
                       long declared, const char **over);
/* Keep n bytes of the part taken and give back the rest (an answer built in its place). */
void cg_port_body_keep(struct cg_port *p, struct cg_port_body *b, size_t n);
/* The body has ended: give back the part it took but does not use (a chunked body). */
void cg_port_body_fit(struct cg_port *p, struct cg_port_body *b);
/* Free the body and give back its part; again is harmless. */
void cg_port_body_close(struct cg_port *p, struct cg_port_body *b);
/* Bytes of bodies held now, and POSTs refused for the budget since the start. */
void cg_port_body_usage(struct cg_port *p, size_t *held, long *refused);
/* Bytes the sender's requests hold now, and requests (of any sender) refused for sender_budget
 * since the start. */
void cg_port_body_share(struct cg_port *p, const struct cg_port_sender *s, size_t *held,
                        long *refused);

/* ------------------------------------------------------------------ bounded logging */

#define CG_PORT_LOG_SLOTS 64
#define CG_PORT_LOG_INTERVAL_MS INT64_C(60000)

/* One key of cg_port_log_allow() (port-lograte.c), under p->flock. */
struct cg_port_logslot {
    char key[128]; /* "" for an empty place */
    int64_t at_ms; /* when its last line was logged */
    long held;     /* its lines not logged since */
    bool logged;
};

/* The port's own failures, which no client causes alone; each has a place of its own. */
enum cg_port_own {
    CG_PORT_OWN_READ,    /* a read of the database for GET /receipts or /metrics */
    CG_PORT_OWN_STORE,   /* a message or a refusal that could not be stored (3001) */
    CG_PORT_OWN_PUBLISH, /* receipts that could not be published */
    CG_PORT_OWN_GROUP,   /* a group of messages that could not be committed together */
    CG_PORT_OWN_KINDS
};

/*
 * Whether a line about a client (key: the kind and the client address) may be logged at now_ms:
 * the first time, then once every CG_PORT_LOG_INTERVAL_MS. *held is then the lines of that key
 * held back since its last line (0 otherwise). When all CG_PORT_LOG_SLOTS keys were logged
 * within the interval, other keys share one place, so a flood from any number of addresses logs
 * a bounded number of lines.
 */
bool cg_port_log_allow(struct cg_port *p, const char *key, int64_t now_ms, long *held);
/*
 * The same for one of the port's own failures, from a place of its own: lines about clients,
 * however many addresses they come from, never hold it back.
 */
bool cg_port_log_allow_own(struct cg_port *p, enum cg_port_own kind, int64_t now_ms, long *held);
/* " (and N more like it not logged in between)" for held lines, "" for none. */
void cg_port_log_held(long held, char *buf, size_t size);

/* The text of every 3001 answer: nothing of the failure (a path, an errno or SQLite text) goes
 * to the client; the log has it. */
#define CG_PORT_SYSTEM_ERROR "system error, nothing was stored; send again"

/* ------------------------------------------------------------------ the port */

struct MHD_Daemon;

struct cg_port {
    /* configuration */
    char *listen;
    long port;
    char *tls_cert_pem;
    char *tls_key_pem;
    char *tls_client_ca_pem;
    bool insecure_http;
    char *db_path;
    size_t max_body;
    size_t body_budget;   /* bytes of bodies held at once, by all requests */
    size_t sender_budget; /* ... by the requests of one sender */
    long max_connections;
    long timeout_s;
    char *version; /* schema edition */
    bool require_signature;
    int64_t tolerance;
    char *receipts_dir;
    bool format_receipts;
    char *customs_code;
    long max_per_client;
    long read_deadline_s;
    long drain_s; /* drain_timeout: how long a stop waits for the requests in flight */
    long max_attributes;
    long max_total_attributes;   /* attributes (xmlns ones too) in one message */
    long max_namespaces;         /* xmlns declarations in one message */
    long max_element_namespaces; /* xmlns declarations on one element */
    long max_summary_lines;      /* inventory lines one CEB792 may carry */
    long max_elements;
    long max_depth;
    long max_text;
    long cpu_budget_ms;
    size_t receipts_page_bytes;
    long sender_daily_max; /* messages one sender may have recorded in a China day; 0: any */
    char *metrics;         /* local, senders, open, off */
    char server_fp[65];    /* the TLS server certificate, refused as a signer */
    struct cg_port_sender *senders;
    size_t nsenders;
    int fault_503;
    int fault_drop;
    bool fault_twice;
    /* state */
    struct cg_store_port *db; /* the writer's connection */
    struct cg_schema *schema;
    struct cg_trust *trust;
    int ntrusted;
    struct cg_codes *codes;
    struct cg_port_scenario scenario;
    struct MHD_Daemon *mhd;
    unsigned bound_port;
    uint64_t rng;
    long faults_503;
    long faults_drop;
    size_t body_held;   /* bytes of body_budget taken now (port-body.c) */
    long body_refused;  /* POSTs answered 503 because the budget was taken */
    long share_refused; /* requests answered 503 because their sender's share was taken */
    long quota_refused; /* POSTs answered 429 because their sender passed sender_daily_max */
    /* requests from nobody known answered 401 and 403 (code 1999), under flock */
    long login_refused[2];
    /* threads */
    long threads;              /* libmicrohttpd worker threads that run the checks */
    long commit_max;           /* most messages stored in one transaction */
    long commit_wait_ms;       /* how long the writer waits for messages still being checked */
    pthread_mutex_t flock;     /* rng, fault counters, body budget */
    struct cg_store_port *rdb; /* read connection: GET /receipts, /metrics, stats */
    pthread_mutex_t rlock;     /* ... one user at a time */
    pthread_mutex_t wlock;     /* the writer connection db */
    pthread_mutex_t qlock;     /* the queue below */
    pthread_cond_t qcond;      /* the writer waits for work */
    pthread_cond_t dcond;      /* callers wait for their job */
    struct cg_port_job *qhead;
    struct cg_port_job *qtail;
    size_t qlen;
    long checking; /* messages being checked now */
    bool writer_running;
    bool writer_stop;
    pthread_t writer;
    bool writer_joinable;
    pthread_mutex_t dlock; /* the read deadlines of the connections (port-http.c) */
    void *watches;
    long inflight; /* requests started and not yet ended, under dlock */
    bool stopping; /* a stop began: new requests are refused, under dlock */
    struct cg_port_logslot logslots[CG_PORT_LOG_SLOTS]; /* under flock (port-lograte.c) */
    struct cg_port_logslot ownslots[CG_PORT_OWN_KINDS]; /* ... for the port's own failures */
    struct cg_port_job **wjobs;                         /* the writer's group */
    void **wconns;
    bool locks_up;
};

/* libmicrohttpd's logger (MHD_OPTION_EXTERNAL_LOGGER): its messages, escaped, at debug level. */
void cg_port_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Uniform 0..99 from the port's generator (fault injection). */
int cg_port_roll(struct cg_port *p);
/* Whether an address is one of this host's loopback ones (127.0.0.0/8, ::1, ::ffff:127.x). */
bool cg_port_addr_loopback(const struct sockaddr *sa);

#endif
