/*
 * declare.h - CEB export messages: safe XML parsing, building, schema validation, XML-DSig
 * signing and verification, receipt parsing, and the DXP envelope.
 *
 * Documents are libxml2 trees (xmlDocPtr) owned by whoever received them; free them with
 * xmlFreeDoc(). Every function returns enum cg_rc and fills struct cg_err with words a person
 * can act on (which element, which order, what exactly failed).
 */
#ifndef CG_DECLARE_H
#define CG_DECLARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libxml/tree.h>

#include "core/conf.h"
#include "core/err.h"
#include "mapping/mapping.h"

#define CG_NS_CEB "http://www.chinaport.gov.cn/ceb"
#define CG_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define CG_NS_DXP "http://www.chinaport.gov.cn/dxp"
#define CG_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* ------------------------------------------------------------------ safe XML */

/* Largest XML document cebgate parses (bytes). */
#define CG_XML_MAX (64u * 1024u * 1024u)

/*
 * Parse untrusted XML: no network, no DTD loading, no entity substitution, no XInclude, and a
 * document carrying a DOCTYPE at all is refused (CG_EPARSE), so neither external entities nor
 * entity expansion bombs get anywhere. name is used in messages. *out is the caller's.
 */
int cg_xml_parse(const char *buf, size_t len, const char *name, xmlDocPtr *out, struct cg_err *err);
/* The same for a file (read with cg_fs_read, at most CG_XML_MAX bytes). */
int cg_xml_parse_file(const char *path, xmlDocPtr *out, struct cg_err *err);
/* Serialize as UTF-8 with an XML declaration; *out (caller frees with free()). */
int cg_xml_serialize(xmlDocPtr doc, char **out, size_t *len, struct cg_err *err);

/* ------------------------------------------------------------------ messages and schemas */

enum cg_app_type { CG_APP_ADD = 1, CG_APP_MODIFY = 2, CG_APP_DELETE = 3 };

/* BaseTransfer block of every request message. */
struct cg_base_transfer {
    const char *cop_code;
    const char *cop_name;
    const char *dxp_id;
    const char *note; /* may be NULL */
};

/* One entity of a message built from an order (CEB303, 403, 505, 603). */
struct cg_doc_ref {
    const struct cg_order *order;
    const char *guid;       /* entity head guid, 36 characters */
    int app_type;           /* enum cg_app_type */
    const char *cop_no;     /* CEB603: the enterprise's own inventory number */
    const char *pre_no;     /* modify/delete only: learned from receipts, else NULL */
    const char *invt_no;    /* modify/delete only (CEB603), else NULL */
    const char *app_status; /* "1" store only, "2" declare; NULL means "2" */
};

/*
 * Build a CEB303, 403, 505 or 603 message with n entities (1..100) from orders. msg_guid is
 * the root guid; version is the schema edition ("202205" or "2018") whose element set is used.
 * The document is not validated or signed here. *out is the caller's.
 */
int cg_build_order_doc(int msg_type, const char *msg_guid, const struct cg_doc_ref *refs, size_t n,
                       const struct cg_seller *seller, const struct cg_base_transfer *bt,
                       const char *version, xmlDocPtr *out, struct cg_err *err);

/* CEB303 orderType (202205) of a trade mode: 9710 "B" (B2B), 9810 "W" (overseas warehouse),
 * any other (9610, 1210) "E" (B2C export). */
const char *cg_order_type_of(const char *trade_mode);

/* Most entities one message may carry (the schemas' maxOccurs). */
#define CG_MSG_MAX_ENTITIES 100

/*
 * Messages not built from one order. Strings are borrowed; NULL or "" means absent (a required
 * one is then a build error naming the element). Codes not given here come from the seller
 * profile (customsCode, agentCode/Name, ebcCode/Name, trafMode, portCode, tradeMode). Times are
 * UTC time_t and written in China time (UTC+8); 0 means absent.
 */

/* CEB607 master/sub waybill list: one WayBill entity (head + 1.. lists). */
struct cg_waybill_item {
    const char *logistics_no;     /* required */
    const char *invt_no;          /* optional: the inventory of this parcel */
    const char *total_package_no; /* optional */
    const char *note;
};
struct cg_waybill {
    const char *guid; /* 36 characters */
    int app_type;
    const char *app_status; /* NULL: "2" */
    const char *cop_no;     /* required */
    const char *pre_no;     /* modify/delete only */
    const char *loct_no;
    const char *traf_mode;                       /* NULL: seller's */
    const char *traf_name, *voyage_no, *bill_no; /* required */
    const char *domestic_traf_no;
    int64_t gross_weight;                        /* dec kg */
    const char *logistics_code, *logistics_name; /* required */
    long msg_count, msg_seq_no;                  /* 0: 1 */
    const char *note;
    const struct cg_waybill_item *items;
    size_t nitems; /* >= 1 (2018: <= 100) */
};

/* CEB509 departure: one Departure entity. */
struct cg_departure_item {
    const char *logistics_no; /* required */
    const char *total_package_no;
    const char *note;
};
struct cg_departure {
    const char *guid;
    int app_type;
    const char *app_status;
    const char *cop_no;
    const char *pre_no;
    const char *logistics_code, *logistics_name;
    const char *traf_mode;                       /* NULL: seller's */
    const char *traf_name, *voyage_no, *bill_no; /* optional */
    time_t leave_time;                           /* required */
    long msg_count, msg_seq_no;
    const char *note;
    const struct cg_departure_item *items;
    size_t nitems;
};

/* CEB701 summary application: one SummaryApply entity. */
struct cg_summary {
    const char *guid;
    int app_type;
    const char *app_status;
    const char *cop_no;
    const char *pre_no, *sum_no; /* modify/delete only */
    const char *decl_agent_code; /* NULL: the seller's agent */
    const char *decl_agent_name;
    time_t start_time, end_time; /* both or neither */
    const char *loct_no;
    const char *summary_flag;   /* "1" consignor, "2" consignor + producer; NULL: "1" */
    const char *item_name_flag; /* one character; NULL: "1" (group by item name) */
    long msg_count, msg_seq_no;
    const char *note;
    const char *const *invt_nos; /* inventory numbers; may be empty with a time range */
    size_t ninvt;
};

/* CEB605 inventory cancellation: one InvtCancel entity. */
struct cg_invt_cancel {
    const char *guid;
    int app_type;
    const char *app_status;
    const char *cop_no;  /* the CEB603 copNo */
    const char *pre_no;  /* from the CEB604 receipt, optional */
    const char *invt_no; /* required */
    const char *reason;  /* required */
    const char *note;
};

/* CEB213 export return request (202205 only): one InvtRefund entity. */
struct cg_refund_item {
    int gnum;
    const char *gcode, *gname, *gmodel;
    const char *unit, *unit1, *unit2;
    int64_t qty, qty1, qty2; /* decs; qty2 only with unit2 */
    const char *note;
};
struct cg_invt_refund {
    const char *guid;
    int app_type;
    const char *app_status;
    const struct cg_order *order; /* orderless fields below win; lines used when nitems == 0 */
    const char *co_el_no;         /* the enterprise's own return number, required */
    const char *pre_no;
    const char *invt_no; /* the exported inventory, required */
    const char *logistics_no, *logistics_code, *logistics_name; /* NULL: the order's shipment */
    const char *loct_no;
    const char *bill_no, *traf_name, *voyage_no; /* required */
    const char *traf_mode;                       /* NULL: seller's */
    const char *port_code;                       /* NULL: seller's */
    /* The return's trade mode (table 2-59): NULL: 1261 when the seller exports from a special
     * area (trade_mode 1210), else 9661 (general export); never the export's own mode. */
    const char *trade_mode;
    const char *country; /* NULL: the order's destination */
    const char *reason;  /* required */
    const char *note;
    const struct cg_refund_item *items;
    size_t nitems;
};

/*
 * Build CEB607, 509, 701, 605 or 213 messages with n (1..100) entities. Same conventions as
 * cg_build_order_doc(); errors name the entity ("copNo <x>: element <name>: reason").
 * cg_build_refund_doc() is CG_EUNSUPPORTED for version "2018" (no CEB213 there).
 */
int cg_build_waybill_doc(const char *msg_guid, const struct cg_waybill *w, size_t n,
                         const struct cg_seller *seller, const struct cg_base_transfer *bt,
                         const char *version, xmlDocPtr *out, struct cg_err *err);
int cg_build_departure_doc(const char *msg_guid, const struct cg_departure *d, size_t n,
                           const struct cg_seller *seller, const struct cg_base_transfer *bt,
                           const char *version, xmlDocPtr *out, struct cg_err *err);
int cg_build_summary_doc(const char *msg_guid, const struct cg_summary *s, size_t n,
                         const struct cg_seller *seller, const struct cg_base_transfer *bt,
                         const char *version, xmlDocPtr *out, struct cg_err *err);
int cg_build_cancel_doc(const char *msg_guid, const struct cg_invt_cancel *c, size_t n,
                        const struct cg_seller *seller, const struct cg_base_transfer *bt,
                        const char *version, xmlDocPtr *out, struct cg_err *err);
int cg_build_refund_doc(const char *msg_guid, const struct cg_invt_refund *r, size_t n,
                        const struct cg_seller *seller, const struct cg_base_transfer *bt,
                        const char *version, xmlDocPtr *out, struct cg_err *err);

/* Customs time of t in China time (UTC+8): "YYYYMMDDhhmmss" (15 bytes with NUL). */
void cg_ceb_time(time_t t, char out[15]);
/* "YYYYMMDD" in China time. */
void cg_ceb_date(time_t t, char out[9]);
/* Schema edition name accepted by the builders and cg_schema_load: "202205" or "2018". */
bool cg_schema_version_ok(const char *version);

/* A new upper-case UUID (36 characters + NUL), as CEB guids are written. */
void cg_guid_new(char out[37]);
/* Message type number from the root element ("CEB603Message" -> 603); 0 when not CEB. */
int cg_msg_type_of(xmlDocPtr doc);

/*
 * A compiled schema (CEB export XSD of one edition); compile once, validate many. Compiling
 * swaps libxml2's process-wide entity loader for a local-files-only one for its duration: load
 * schemas at start-up, before other threads parse XML.
 */
struct cg_schema;

int cg_schema_load(const char *data_dir, const char *version, struct cg_schema **out,
                   struct cg_err *err);
void cg_schema_free(struct cg_schema *s);
/*
 * Validate doc. CG_ESCHEMA with "line N: element <name>: reason" for the first problem (the
 * caller adds which order it came from).
 */
int cg_schema_validate(struct cg_schema *s, xmlDocPtr doc, struct cg_err *err);
/*
 * Another schema of the same edition: kind "export" (what cg_schema_load loads), "import"
 * (import messages and CEB900) or "dxp" (the dxp:DxpMsg envelope).
 */
int cg_schema_load_kind(const char *data_dir, const char *version, const char *kind,
                        struct cg_schema **out, struct cg_err *err);
/*
 * cg_schema_validate() for a message cebgate built: the message also names the entity the
 * first problem is in, by its orderNo, else copNo / coElNo, else logisticsNo:
 * "order <no>: element <name>: reason" (with "line N: " when the document was parsed).
 * A struct cg_schema may be used from several threads; validations then run side by side.
 */
int cg_msg_validate(struct cg_schema *s, xmlDocPtr doc, struct cg_err *err);
/*
 * cg_msg_validate() for a message built by cg_build_order_doc() from refs (the same n refs in
 * the same order): the failing entity is named by its order, "order <no>: element <name>:
 * reason", also for CEB505 whose entities carry no orderNo.
 */
int cg_msg_validate_refs(struct cg_schema *s, xmlDocPtr doc, const struct cg_doc_ref *refs,
                         size_t n, struct cg_err *err);
/*
 * The dry run of one live order: build each message `cebgate run` declares for it (CEB303;
 * CEB505 and CEB603 when it has its shipment) as a first version and validate it against s,
 * without signing. CG_OK, or the first failure with err "CEB603 schema: <reason>" (building
 * or schema), the words the spool rejects the order with.
 */
int cg_order_check(struct cg_schema *s, const struct cg_order *o, const struct cg_seller *seller,
                   const struct cg_base_transfer *bt, const char *version, struct cg_err *err);
/*
 * Whether every one of the n orders (live, at most CG_MSG_MAX_ENTITIES) passes
 * cg_order_check(): the messages of each kind are built for all of them together, as one
 * message with one entity per order, and validated once. XSD validity of an entity does not
 * depend on its siblings (the schemas have no identity constraints), so true means each order's
 * own messages are valid. false means only that some order may fail (or memory was short):
 * check each with cg_order_check() for its own verdict and words.
 */
bool cg_orders_pass(struct cg_schema *s, const struct cg_order *const *o, size_t n,
                    const struct cg_seller *seller, const struct cg_base_transfer *bt,
                    const char *version);
/*
 * The message of kind msg_type for order o alone, built as the dry run builds it: a first
 * version (appType 1) with placeholder guids and copNo, never to be sent. *doc as
 * cg_build_order_doc() gives it.
 */
int cg_order_doc_placeholder(int msg_type, const struct cg_order *o, const struct cg_seller *seller,
                             const struct cg_base_transfer *bt, const char *version, xmlDocPtr *doc,
                             struct cg_err *err);
/*
 * Where the value is configured when msg is a builder's "element X: required value is missing"
 * for an element that comes from the configuration ("[declare] cop_code"); NULL otherwise.
 */
const char *cg_msg_config_hint(const char *msg);
/*
 * True when msg is such a message for a setting that only the configuration can give (every one
 * of cg_msg_config_hint() but POD, which an order may carry in a pod column): the order's own
 * data cannot cure it, so `cebgate run` holds the seller's files instead of rejecting the order.
 */
bool cg_msg_config_only(const char *msg);
/*
 * Every setting the messages of o (the kinds cg_order_check() builds) need and the
 * configuration lacks, in the order the builders meet them: returns how many, and writes their
 * names into out, comma-separated ("[seller] ebp_code, [seller] ebp_name, [declare] cop_code").
 */
size_t cg_config_missing(const struct cg_order *o, const struct cg_seller *seller,
                         const struct cg_base_transfer *bt, const char *version, char *out,
                         size_t size);
/* msg without a leading "order <order_no>: " (how builders name the entity), for a report that
 * names the order already. Points into msg. */
const char *cg_msg_without_order(const char *msg, const char *order_no);

/* ------------------------------------------------------------------ signing and verifying */

/* How to sign. Strings are borrowed for the duration of cg_signer_new(). */
struct cg_signer_opts {
    const char *kind; /* "local" (key in a file) or "remote" (signing service) */
    /*
     * "sm2-sm3", "rsa-sha1" or "rsa-sha256"; NULL: what the specification names for the key
     * (SM2 key: sm2-sm3, RSA key: rsa-sha1; remote: rsa-sha1). rsa-sha256 is not in the
     * specification: allowed when asked for, with a warning.
     */
    const char *alg;
    const char *sm2_id;       /* SM2 distinguishing identifier; NULL: 1234567812345678 */
    const char *key_file;     /* local: PEM or PKCS#12 private key */
    const char *cert_file;    /* local: PEM certificate (not needed with PKCS#12) */
    const char *pass_file;    /* file holding the passphrase, or NULL */
    const char *pass_env;     /* environment variable holding the passphrase, or NULL */
    const char *key_name;     /* certificate number for ds:KeyName */
    const char *remote_url;   /* remote: signing service URL */
    const char *remote_ca;    /* remote: CA file for https */
    const char *remote_token; /* remote: bearer token, may be NULL */
    /*
     * local: sign through xmlsec's generic XML-DSig engine (xmlSecDSigCtxSign) instead of
     * cebgate's direct enveloped-signature path. Both produce the same bytes; the direct path
     * is the default and several times cheaper apart from the RSA operation. false by default.
     */
    bool xmlsec_engine;
};

/*
 * A signer holds its key, loaded once (local), or one HTTP connection to the signing service
 * (remote, connection kept alive between messages).
 *
 * Threads: a cg_signer is NOT safe to use from two threads at once. Load the key once per
 * process with cg_signer_new or cg_signer_new_conf and give every other thread that signs its
 * own cg_signer_clone of it, made once per thread at start-up; each thread keeps using its
 * signer for every message it signs. The original and its clones may sign concurrently.
 * cg_lib_init() must have run first.
 *
 * Cost per message (local): one RSA or SM2 private-key operation (with an OpenSSL context set
 * up once per signer; SM2 continues a copy of a context that already holds Z) plus one
 * inclusive C14N pass and digest of the document and of SignedInfo; no file access, no key
 * parsing, no subprocess.
 */
struct cg_signer;

/*
 * Load the key (local) or set up the service connection (remote). The passphrase comes from
 * o->pass_file or o->pass_env (never from the configuration itself) and is wiped after use.
 * Errors: CG_ECONFIG (missing or contradictory settings, passphrase variable unset),
 * CG_ECRYPTO (unreadable key, wrong passphrase, certificate not matching the key, OpenSSL
 * refusing the algorithm - e.g. SHA-1 signatures disabled by the system crypto policy),
 * CG_EUNSUPPORTED (a key that is neither RSA nor SM2, an algorithm that does not fit the key,
 * xmlsec_engine with SM2). *out is written only on success.
 */
int cg_signer_new(const struct cg_signer_opts *o, struct cg_signer **out, struct cg_err *err);
/*
 * The signer a configuration names: [declare] signer, sign_alg, sm2_id, remote_*; the key from
 * [seller.NAME] key_file (with that section's cert_file, key_pass_file, key_pass_env and
 * key_name, key_name falling back to [declare]) when seller is not NULL and that section (or
 * [seller]) sets key_file, else from [declare] key_file and friends.
 */
struct cg_conf;
int cg_signer_new_conf(const struct cg_conf *conf, const char *seller, struct cg_signer **out,
                       struct cg_err *err);
/*
 * A signer for another thread from one already made, without reading any file or passphrase:
 * it signs exactly as s does (same algorithm, key, certificate and key_name).
 * Shared with s: local - the private key (one more reference to the same OpenSSL EVP_PKEY,
 * read-only from then on). Copied: the algorithm, key_name, the certificate (base64 DER as it
 * goes into ds:X509Certificate); remote - the URL, CA file and request headers (bearer token
 * included; the copy is wiped when freed). Fresh, the clone's own: the digest and signing
 * contexts, the SignedInfo buffer, for xmlsec_engine an xmlsec key around the shared EVP_PKEY,
 * for remote its own curl handle and connection.
 * s is only read: cloning may run while another thread signs with s. The clone may then be
 * used in another thread at the same time as s and as other clones, and s and its clones may
 * be freed in any order: freeing one never affects the others. Errors: CG_ENOMEM, CG_ECRYPTO
 * (OpenSSL or xmlsec refusing a new context for the key). *out is written only on success.
 */
int cg_signer_clone(const struct cg_signer *s, struct cg_signer **out, struct cg_err *err);
void cg_signer_free(struct cg_signer *s);
/*
 * Add an enveloped ds:Signature as the last child of the root (inclusive C14N 1.0,
 * Reference URI="", KeyInfo = KeyName then X509Data/X509Certificate). A document that already
 * carries a ds:Signature is refused (CG_EEXIST); the document is unchanged on any error.
 * Remote: CG_ERETRY when the service is unreachable or answers 5xx/429 (try again later),
 * CG_ECRYPTO when it refuses the request or returns a signature that does not verify.
 */
int cg_signer_sign(struct cg_signer *s, xmlDocPtr doc, struct cg_err *err);
/* Remove every ds:Signature element of doc (to re-sign a document); returns how many. */
int cg_sig_strip(xmlDocPtr doc);
/*
 * What `cebgate sign` does with the bytes of one message (name for messages): cg_xml_parse(),
 * with replace cg_sig_strip() (how many signatures went in *removed, if not NULL),
 * cg_signer_sign(), cg_xml_serialize(); the signed message in *out (malloc'd, *out_len bytes).
 * With a local key the usual message is signed from its bytes without building a tree (its
 * canonical form read by libxml2's SAX2 parser, declare-c14n.c): the output is then the input
 * with the same ds:Signature inserted before the root's end tag, every other byte unchanged,
 * and its prolog as it was. Errors as those functions give them.
 */
int cg_sign_xml(struct cg_signer *s, const char *in, size_t len, const char *name, int replace,
                char **out, size_t *out_len, int *removed, struct cg_err *err);

/*
 * Trusted signer certificates. A signing certificate is trusted when it is one of the added
 * certificates or chains up to one of them (an E-Port CA certificate, say), and is within its
 * validity period. Read-only after loading: one cg_trust may be shared by threads.
 */
struct cg_trust;

int cg_trust_new(struct cg_trust **out, struct cg_err *err);
/* Add every certificate of a PEM file (at least one); CG_ECRYPTO when none can be read. */
int cg_trust_add_file(struct cg_trust *t, const char *pem_path, struct cg_err *err);
/* The SM2 distinguishing identifier sm2-sm3 signatures are checked with (default
 * 1234567812345678, the GM/T 0009 one; verifying without a cg_trust uses that default). */
int cg_trust_set_sm2_id(struct cg_trust *t, const char *id, struct cg_err *err);
void cg_trust_free(struct cg_trust *t);
/*
 * Whether the certificate der (len bytes, DER) could sign a message cg_verify() accepts with t:
 * the rules for a signing certificate (not a CA, keyUsage for signatures, a strong enough key,
 * not TLS-only) and a chain to t's certificates, built as for a message (X509_verify_cert with
 * t's store, validity included). CG_ESIG with the reason, which names nothing of the certificate.
 */
int cg_trust_check_signer(const struct cg_trust *t, const unsigned char *der, size_t len,
                          struct cg_err *err);
/*
 * Verify the one enveloped signature of doc. With t NULL only the signature against the
 * certificate in KeyInfo is checked; with t the certificate must also be trusted. CG_ESIG with
 * the exact reason (digest mismatch, wrong key, untrusted certificate, signature does not cover
 * the root, more than one Signature, no Signature).
 */
int cg_verify(xmlDocPtr doc, const struct cg_trust *t, struct cg_err *err);

/* What a successful verification found (for operators' reports). */
struct cg_sig_info {
    char alg[16];       /* "sm2-sm3", "rsa-sha1" or "rsa-sha256" */
    char key_name[128]; /* ds:KeyName, "" when absent */
    char subject[512];  /* certificate subject, one line (RFC 2253) */
    char serial[128];   /* certificate serial number, hex */
    char not_after[32]; /* certificate end of validity, as OpenSSL prints it */
    char sha256[65];    /* SHA-256 of the certificate (DER), hex: who signed */
};
/* cg_verify that also fills *info (may be NULL) on success. */
int cg_verify_info(xmlDocPtr doc, const struct cg_trust *t, struct cg_sig_info *info,
                   struct cg_err *err);

/* ------------------------------------------------------------------ receipts */

/* One inventory line of a CEB792 summary result (SummaryResultList). */
struct cg_receipt_line {
    char *invt_no;
    char *logistics_no;
    long gnum; /* gnum (2018) or gseqno (202205), 0 when absent */
    char *gcode;
};

/* One receipt entity; strings owned by the event array, NULL when absent. */
struct cg_receipt_event {
    int msg_type;   /* 304, 404, 506, 508, 510, 604, 606, 608, 702, 214, 216, 792, 900 */
    char *msg_guid; /* root guid of the receipt message */
    char *guid;     /* guid of the document the receipt answers */
    char *order_no;
    char *logistics_no;
    char *cop_no;
    char *pre_no;
    char *invt_no;
    char *sum_no;
    char *entry_id;
    char *ebc_code;
    char *agent_code;
    char *bill_no;
    char *return_status; /* as written: "2", "120", "-301010" */
    long status;         /* the same as a number */
    char *return_time;   /* yyyyMMddHHmmssfff */
    char *return_info;
    /* CEB900 only: the DXP CopMsgId and message type of the rejected message, and the root
     * guid of the original message in oriBizMessage (bare or in a DxpMsg; NULL when absent or
     * not parseable). */
    char *ori_cop_msg_id;
    char *ori_msg_type;
    /* CEB792 only: the summary's declSeqNo and its inventory lines. */
    char *decl_seq_no;
    struct cg_receipt_line *lines;
    size_t nlines;
    char *ori_biz_guid;
};

/* Parse any export receipt (both editions), CEB792 and CEB900 into events (one per entity). */
int cg_receipt_parse(xmlDocPtr doc, struct cg_receipt_event **events, size_t *n,
                     struct cg_err *err);
void cg_receipt_events_free(struct cg_receipt_event *ev, size_t n);

/* ------------------------------------------------------------------ DXP envelope */

/* The most characters of TransInfo's SenderId and each ReceiverId (dxp-terminal.xsd, 202205 and
 * 2018 alike); any characters, counted as characters as the schema counts them. */
#define CG_DXP_ID_MAX 16
/* Wrap a signed CEB message into dxp:DxpMsg (Data = base64 of xml). *out: caller frees. */
int cg_dxp_wrap(const char *xml, size_t len, const char *msg_type, const char *sender,
                const char *receiver, const char *cop_msg_id, char **out, size_t *outlen,
                struct cg_err *err);
/* The CEB message inside a DxpMsg; CG_ENOTFOUND when env is not a DxpMsg. */
int cg_dxp_unwrap(xmlDocPtr env, char **xml, size_t *len, struct cg_err *err);

/* The [declare] configuration keys (declare-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_declare_conf_keys[];

#endif
