/*
 * declare-sign-int.h - what the signing, remote-signer and verifying files of declare/ share,
 * with the writers of canonical and serialized XML. Only declare/declare-sign*.c,
 * declare/declare-remote.c, declare/declare-verify.c, declare/declare-certcache.c,
 * declare/declare-xml.c, the writers (declare-c14n.c, declare-save.c) and the unit tests of
 * signing include it.
 */
#ifndef CG_DECLARE_SIGN_INT_H
#define CG_DECLARE_SIGN_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "declare/declare.h"

/* A C string as a const libxml2 string (BAD_CAST would drop const). */
#define CG_XC(s) ((const xmlChar *)(s))

#define CG_URI_C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define CG_URI_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

/* The SM2 distinguishing identifier of GM/T 0009, hashed into Z when none is configured. */
#define CG_SM2_DEFAULT_ID "1234567812345678"
/* An SM2 signature value in a CEB message: r and s, 32 bytes each, big-endian (not DER). */
#define CG_SM2_RS_LEN 64u

/* One signature algorithm as XML-DSig and OpenSSL name it. */
struct cg_sig_alg {
    const char *name;          /* "rsa-sha1" */
    const char *sig_uri;       /* SignatureMethod Algorithm */
    const char *digest_uri;    /* DigestMethod Algorithm written when signing */
    const EVP_MD *(*md)(void); /* hash of the signature (and of DigestValue when signing) */
    int sm2;                   /* SM2 key, raw r||s SignatureValue; otherwise RSA PKCS#1 v1.5 */
};

/*
 * By name ("rsa-sha1", "rsa-sha256", "sm2-sm3"), or by SignatureMethod URI (the older
 * http://www.w3.org/2000/09/xmldsig#sm2-sm3 too); the digest of a DigestMethod URI (sha1,
 * sha256, the 202205 sm3). NULL if none.
 */
const struct cg_sig_alg *cg_sig_alg_by_name(const char *name);
const struct cg_sig_alg *cg_sig_alg_by_uri(const char *sig_uri);
const EVP_MD *cg_sig_digest_by_uri(const char *digest_uri);

/*
 * Inclusive C14N 1.0 of SignedInfo si where it stands, inside sig, a child of root: every
 * namespace declaration in scope from the ancestors is in the bytes (what is signed). The
 * root's other children are hidden from libxml2's walk for the duration and put back before
 * returning; the caller owns doc meanwhile. b is emptied first.
 */
int cg_c14n_signed_info(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr sig, xmlNodePtr si,
                        struct cg_buf *b);

/* Receives canonical bytes; 0 to go on, anything else stops the writer (CG_EIO). */
typedef int (*cg_c14n_sink)(void *ctx, const void *data, size_t len);

/*
 * Inclusive C14N 1.0 without comments, the bytes xmlC14NExecute gives, written to sink
 * (declare-c14n.c): of the whole document when top is the document node, of the subtree top
 * with the namespace declarations it inherits when top is an element. CG_EUNSUPPORTED when the
 * tree has something this writer leaves to xmlC14NExecute (part of the output may have gone
 * to sink already: the caller starts again with libxml2); CG_EIO when sink failed.
 */
int cg_c14n_fast(const xmlNode *top, cg_c14n_sink sink, void *ctx);
/*
 * The same, adding to *sigs the ds:Signature elements met on the way (signing refuses a
 * document that has one, and learns it from the walk it makes anyway). *sigs is complete only
 * when CG_OK is returned.
 */
int cg_c14n_fast_sigs(const xmlNode *top, cg_c14n_sink sink, void *ctx, unsigned *sigs);

/* What cg_c14n_bytes learns of the root element for a signature appended to it. */
struct cg_c14n_env {
    size_t root_end;        /* offset of the "<" of the root's end tag */
    struct cg_buf *apex_ns; /* set by the caller, emptied and filled: the namespace
                               declarations C14N renders on the ds:SignedInfo of a
                               ds:Signature (declaring xmlns:ds) appended to the root */
};

/*
 * Inclusive C14N 1.0 without comments of the whole XML document in[0..len), the bytes
 * xmlC14NExecute gives for the tree cg_xml_parse() would build, written to sink while libxml2's
 * SAX2 parser reads the bytes (no tree; no network, DTD or entities). CG_EUNSUPPORTED, with
 * part of the output perhaps written, for anything this reader leaves to the tree: a document
 * that is not well-formed, has a DOCTYPE, a processing instruction, an encoding other than
 * UTF-8, a ds:Signature, an xml: attribute on the root, a relative namespace URI, more than
 * MAX_DEPTH levels, MAX_NS namespaces or MAX_ATTRS attributes, or an empty root element; CG_EIO
 * when sink failed; CG_ENOMEM.
 */
int cg_c14n_bytes(const char *in, size_t len, cg_c14n_sink sink, void *ctx,
                  struct cg_c14n_env *env);

/*
 * doc as xmlDocDumpMemoryEnc(doc, .., "UTF-8") serializes it, appended to out
 * (declare-save.c). CG_EUNSUPPORTED when the tree has something this writer leaves to libxml2
 * (part of the output may be in out already: the caller starts again with libxml2);
 * CG_ENOMEM when out cannot grow.
 */
int cg_xml_save_fast(const xmlDoc *doc, struct cg_buf *out);

/*
 * Digest with md of the inclusive C14N 1.0 form of doc (no comments) without the subtree
 * exclude (NULL: the whole document): DigestValue of Reference URI="" with the
 * enveloped-signature transform when exclude is the Signature. CG_ENOMEM or CG_ECRYPTO.
 */
int cg_c14n_digest(xmlDocPtr doc, xmlNodePtr exclude, const EVP_MD *md, unsigned char *out,
                   unsigned int *out_len);

/*
 * Check an SM2 signature over data (SM3 with the distinguishing identifier id in Z) given as
 * the raw r||s of a CEB SignatureValue. CG_ESIG when rs is not 64 bytes (a DER-encoded value
 * is named as such) or does not verify; what names the signer in the message ("the
 * certificate in ds:KeyInfo (CN=..)").
 */
int cg_sm2_verify(EVP_PKEY *pub, const char *id, const unsigned char *data, size_t len,
                  const unsigned char *rs, size_t rs_len, const char *what, struct cg_err *err);

/* The most recent OpenSSL error as text ("" when none); empties OpenSSL's error queue. */
void cg_ssl_error(char *out, size_t size);

/*
 * Try one signature with pkey and alg's digest so that an OpenSSL that refuses it (SHA-1
 * disabled by the crypto policy or security level) is reported at start-up, with the cure.
 */
int cg_sig_probe(EVP_PKEY *pkey, const struct cg_sig_alg *alg, struct cg_err *err);
/* The same for verifying (used to explain a failed verification). */
int cg_sig_probe_verify(EVP_PKEY *pub, const struct cg_sig_alg *alg, struct cg_err *err);

/* True for an element named local in the XML-DSig namespace. */
int cg_is_ds(const xmlNode *n, const char *local);

/*
 * Read the passphrase named by o (pass_file or pass_env) into pass (NUL-terminated);
 * *have = 0 when neither is set. CG_ECONFIG when both are set, the variable is unset or the
 * file cannot be read. The text never appears in an error message.
 */
int cg_sign_read_pass(const struct cg_signer_opts *o, char *pass, size_t size, int *have,
                      struct cg_err *err);
/*
 * Load a PEM or PKCS#12 private key and its certificate (from cert_file, the PEM key file or
 * the PKCS#12 bundle). *pkey and *cert are the caller's, written only on success.
 */
int cg_sign_load_key(const char *key_file, const char *cert_file, const char *pass, EVP_PKEY **pkey,
                     X509 **cert, struct cg_err *err);

/* Remote signing service client (declare-remote.c). */
struct cg_remote;

int cg_remote_new(const struct cg_signer_opts *o, struct cg_remote **out, struct cg_err *err);
/*
 * A new client with r's settings (URL, CA file, headers with the token) and its own curl
 * handle and connection, for another thread; r is only read. *out written only on success.
 */
int cg_remote_clone(const struct cg_remote *r, struct cg_remote **out, struct cg_err *err);
void cg_remote_free(struct cg_remote *r);
/*
 * Ask the service to sign data (the canonical SignedInfo) with alg (sm2-sm3: with the
 * distinguishing identifier sm2_id). On success *sig (raw signature value; r||s for SM2), *cert
 * (DER) and *key_name (NULL when the service sent none) are the caller's (free()).
 */
int cg_remote_sign(struct cg_remote *r, const struct cg_sig_alg *alg, const char *key_name,
                   const char *sm2_id, const unsigned char *data, size_t len, unsigned char **sig,
                   size_t *sig_len, unsigned char **cert, size_t *cert_len, char **key_name_out,
                   struct cg_err *err);

/*
 * Whether cert may sign CEB messages, for signing and verifying alike: RSA of at least
 * CG_SIGN_MIN_RSA_BITS, EC/SM2 of at least CG_SIGN_MIN_EC_BITS; keyUsage, when present, with
 * digitalSignature or nonRepudiation; not a CA (basicConstraints CA:TRUE or keyUsage
 * keyCertSign); extendedKeyUsage, when present, not for TLS only. CG_ESIG naming the reason.
 */
#define CG_SIGN_MIN_RSA_BITS 2048
#define CG_SIGN_MIN_EC_BITS 256
int cg_sign_cert_check(X509 *cert, struct cg_err *err);

/*
 * The signing certificates a cg_trust decoded (declare-certcache.c), by the SHA-256 of their
 * DER bytes. What an entry holds depends on those bytes alone, but for chain, which is set
 * once the chain verified and is used only while each of its certificates is within its
 * validity period. Every function takes a NULL cache (nothing is cached: add returns e, put
 * frees it).
 */
struct cg_cert_entry {
    unsigned char sha[32];
    char sha_hex[65];
    X509 *cert;
    int check_rc; /* cg_sign_cert_check's answer, and its message */
    char check_msg[CG_ERR_MSG_MAX];
    char subject[512]; /* RFC 2253, one line */
    char serial[128];
    char not_after[32];
    STACK_OF(X509) * chain; /* set by cg_cert_cache_set_chain */
    /* the cache's */
    int refs;
    int in_cache;
    uint64_t used;
};
struct cg_cert_cache;

#define CG_CERT_CACHE_MAX 256

int cg_cert_cache_new(size_t max, struct cg_cert_cache **out);
void cg_cert_cache_free(struct cg_cert_cache *c);
/* Forget every entry (the trusted certificates changed). */
void cg_cert_cache_clear(struct cg_cert_cache *c);
int cg_cert_cache_set_max(struct cg_cert_cache *c, size_t max);
size_t cg_cert_cache_count(struct cg_cert_cache *c);
/* The entry of sha, held for the caller until cg_cert_cache_put; NULL when not cached. */
struct cg_cert_entry *cg_cert_cache_get(struct cg_cert_cache *c, const unsigned char sha[32]);
/* Add a new entry e (the cache's from now on; the least recently used one makes room) and hold
 * it for the caller; when another thread added the same certificate meanwhile, e is freed and
 * that entry is returned instead. */
struct cg_cert_entry *cg_cert_cache_add(struct cg_cert_cache *c, struct cg_cert_entry *e);
void cg_cert_cache_put(struct cg_cert_cache *c, struct cg_cert_entry *e);
void cg_cert_entry_free(struct cg_cert_entry *e);
/* The verified chain of e, NULL when not verified yet; set_chain takes chain (freed when e
 * already has one). */
STACK_OF(X509) * cg_cert_cache_chain(struct cg_cert_cache *c, struct cg_cert_entry *e);
void cg_cert_cache_set_chain(struct cg_cert_cache *c, struct cg_cert_entry *e,
                             STACK_OF(X509) * chain);
/* The cache of t (declare-verify.c); NULL for a NULL t. */
struct cg_cert_cache *cg_trust_cert_cache(const struct cg_trust *t);

#endif
