/*
 * declare-verify.c - trusted certificates and verification of the enveloped signature of a
 * CEB message, saying exactly what is wrong.
 *
 * The shape is checked first, strictly, because XML-DSig by itself allows far more than CEB
 * does and the surplus is what signature-wrapping attacks use: exactly one ds:Signature in
 * the document, it is the last element child of the root, SignedInfo holds inclusive C14N
 * 1.0, sm2-sm3, rsa-sha1 or rsa-sha256 and exactly one Reference with URI="" and the
 * enveloped-signature transform alone, no ds:Object, KeyInfo with exactly one X509Certificate.
 * Then the digest and the signature value are checked with the public key of that certificate
 * (KeyInfo is not otherwise processed: no key lookup, no retrieval): DigestValue (SHA-1 or
 * SHA-256 for RSA; SM3 for the 202205 SM2 form, SHA-1 for the older smart-card form with the
 * w3.org sm2-sm3 URI) over the inclusive C14N of the document without the Signature element
 * (what the enveloped-signature transform leaves), then SignatureValue over the inclusive C14N
 * of SignedInfo in place: RSA PKCS#1 v1.5 by OpenSSL, or SM2 as the raw 64-byte r||s, SM3 with
 * the SM2 distinguishing identifier of the cg_trust (default 1234567812345678) in Z. Last, with
 * a cg_trust, the certificate must chain to a trusted one (SM2 chains as well as RSA). The
 * certificates decoded are kept in the cg_trust's cache (declare-certcache.c), so a signer's
 * next message is not decoded and checked against the signer rules again; its chain is
 * re-verified unless the one found before is still within every validity period.
 * Every failure is CG_ESIG (CG_ECRYPTO when OpenSSL refuses an algorithm) with the reason.
 * Owner: the signing part of declare/.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/base64.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"

struct cg_trust {
    X509_STORE *store;
    int count;
    char sm2_id[1024];           /* SM2 distinguishing identifier */
    struct cg_cert_cache *cache; /* signing certificates seen (declare-certcache.c) */
};

int cg_trust_new(struct cg_trust **out, struct cg_err *err)
{
    struct cg_trust *t = calloc(1, sizeof(*t));

    if (t == NULL || (t->store = X509_STORE_new()) == NULL ||
        cg_cert_cache_new(CG_CERT_CACHE_MAX, &t->cache) != CG_OK) {
        if (t != NULL)
            X509_STORE_free(t->store);
        free(t);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    cg_strlcpy(t->sm2_id, CG_SM2_DEFAULT_ID, sizeof(t->sm2_id));
    *out = t;
    return CG_OK;
}

int cg_trust_set_sm2_id(struct cg_trust *t, const char *id, struct cg_err *err)
{
    if (id == NULL || id[0] == '\0' || strlen(id) >= sizeof(t->sm2_id))
        return CG_ERR_SET(err, CG_ECONFIG, "sm2_id must be 1 to %zu bytes", sizeof(t->sm2_id) - 1);
    cg_strlcpy(t->sm2_id, id, sizeof(t->sm2_id));
    return CG_OK;
}

void cg_trust_free(struct cg_trust *t)
{
    if (t == NULL)
        return;
    X509_STORE_free(t->store);
    cg_cert_cache_free(t->cache);
    free(t);
}

struct cg_cert_cache *cg_trust_cert_cache(const struct cg_trust *t)
{
    return t != NULL ? t->cache : NULL;
}

/*
 * OpenSSL checks an SM2-with-SM3 certificate signature only with the distinguishing identifier
 * set on the certificate; certificate authorities sign with the GM/T 0009 default. Other
 * certificates are left alone (an identifier would make OpenSSL refuse an RSA check).
 */
static int sm2_cert_id(X509 *x)
{
    ASN1_OCTET_STRING *id;

    if (X509_get_signature_nid(x) != NID_SM2_with_SM3)
        return CG_OK;
    id = ASN1_OCTET_STRING_new();
    if (id == NULL || ASN1_OCTET_STRING_set(id, (const unsigned char *)CG_SM2_DEFAULT_ID,
                                            (int)strlen(CG_SM2_DEFAULT_ID)) != 1) {
        ASN1_OCTET_STRING_free(id);
        return CG_ENOMEM;
    }
    X509_set0_distinguishing_id(x, id);
    return CG_OK;
}

int cg_trust_add_file(struct cg_trust *t, const char *pem_path, struct cg_err *err)
{
    BIO *bio = BIO_new_file(pem_path, "r");
    X509 *x;
    char ssl[256];
    int n = 0;
    int rc = CG_OK;

    if (bio == NULL) {
        cg_ssl_error(ssl, sizeof(ssl));
        return CG_ERR_SET(err, CG_ECRYPTO, "trusted certificate file %s: cannot open (%s)",
                          pem_path, ssl);
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (sm2_cert_id(x) != CG_OK) {
            X509_free(x);
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            break;
        }
        if (X509_STORE_add_cert(t->store, x) != 1) {
            /* the same certificate twice is harmless */
            if (ERR_GET_REASON(ERR_peek_last_error()) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
                X509_free(x);
                cg_ssl_error(ssl, sizeof(ssl));
                rc = CG_ERR_SET(err, CG_ECRYPTO, "trusted certificate file %s: %s", pem_path, ssl);
                break;
            }
        }
        X509_free(x);
        n++;
    }
    ERR_clear_error(); /* the end of the file ends the loop with an error */
    BIO_free(bio);
    if (rc == CG_OK && n == 0)
        rc = CG_ERR_SET(err, CG_ECRYPTO, "trusted certificate file %s: no PEM certificate in it",
                        pem_path);
    if (rc == CG_OK)
        t->count += n;
    /* a chain refused before may verify now */
    cg_cert_cache_clear(t->cache);
    return rc;
}

/* ------------------------------------------------------------------ shape */

static void find_sigs(xmlNodePtr n, xmlNodePtr *first, xmlNodePtr *second, int *count)
{
    xmlNodePtr c;

    for (c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (cg_is_ds(c, "Signature")) {
            if (*count == 0)
                *first = c;
            else if (*count == 1)
                *second = c;
            (*count)++;
        }
        find_sigs(c, first, second, count);
    }
}

static xmlNodePtr next_elem(xmlNodePtr n)
{
    for (; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

static int lineno(xmlNodePtr n)
{
    return n != NULL ? (int)xmlGetLineNo(n) : 0;
}

static int has_elem_child(xmlNodePtr n)
{
    return next_elem(n->children) != NULL;
}

static const char *name_of(xmlNodePtr n)
{
    return n != NULL && n->name != NULL ? (const char *)n->name : "(none)";
}

/* An Algorithm attribute as a borrowed-for-the-call string (freed by the caller). */
static xmlChar *alg_attr(xmlNodePtr n)
{
    return xmlGetNoNsProp(n, CG_XC("Algorithm"));
}

#define NOT_ROOT "signature does not cover the root element: "

static int check_reference(xmlNodePtr ref, const EVP_MD **md, struct cg_err *err)
{
    xmlChar *uri = NULL, *a = NULL;
    xmlNodePtr c, tr;
    int rc = CG_OK;

    if (!xmlHasNsProp(ref, CG_XC("URI"), NULL)) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        NOT_ROOT "ds:Reference has no URI attribute (CEB needs "
                                 "URI=\"\")");
        goto done;
    }
    uri = xmlGetNoNsProp(ref, CG_XC("URI"));
    if (uri == NULL || uri[0] != '\0') {
        rc = CG_ERR_SET(err, CG_ESIG,
                        NOT_ROOT "ds:Reference URI=\"%s\" (CEB needs URI=\"\", "
                                 "the whole document)",
                        uri != NULL ? (const char *)uri : "");
        goto done;
    }
    c = next_elem(ref->children);
    if (!cg_is_ds(c, "Transforms")) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        NOT_ROOT "ds:Reference has no ds:Transforms (the "
                                 "enveloped-signature transform is required)");
        goto done;
    }
    tr = next_elem(c->children);
    if (!cg_is_ds(tr, "Transform") || next_elem(tr->next) != NULL) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        NOT_ROOT "ds:Transforms must hold exactly one "
                                 "ds:Transform (enveloped-signature)");
        goto done;
    }
    a = alg_attr(tr);
    if (a == NULL || !xmlStrEqual(a, CG_XC(CG_URI_ENVELOPED)) || has_elem_child(tr)) {
        rc = CG_ERR_SET(err, CG_ESIG, NOT_ROOT "transform %s is not allowed (only %s)",
                        a != NULL ? (const char *)a : "(no Algorithm)", CG_URI_ENVELOPED);
        goto done;
    }
    xmlFree(a);
    a = NULL;
    c = next_elem(c->next);
    if (!cg_is_ds(c, "DigestMethod")) {
        rc = CG_ERR_SET(err, CG_ESIG, "ds:Reference has no ds:DigestMethod");
        goto done;
    }
    a = alg_attr(c);
    *md = cg_sig_digest_by_uri((const char *)a);
    if (*md == NULL) {
        rc = CG_ERR_SET(err, CG_ESIG, "digest method %s is not accepted (sm3, sha1 or sha256)",
                        a != NULL ? (const char *)a : "(no Algorithm)");
        goto done;
    }
    c = next_elem(c->next);
    if (!cg_is_ds(c, "DigestValue") || next_elem(c->next) != NULL) {
        rc = CG_ERR_SET(err, CG_ESIG, "ds:Reference must end with one ds:DigestValue");
        goto done;
    }
done:
    xmlFree(uri);
    xmlFree(a);
    return rc;
}

static int check_signed_info(xmlNodePtr si, const struct cg_sig_alg **alg, const EVP_MD **md,
                             struct cg_err *err)
{
    xmlNodePtr c;
    xmlChar *a = NULL;
    int rc = CG_OK;

    c = next_elem(si->children);
    if (!cg_is_ds(c, "CanonicalizationMethod")) {
        rc = CG_ERR_SET(err, CG_ESIG, "ds:SignedInfo has no ds:CanonicalizationMethod");
        goto done;
    }
    a = alg_attr(c);
    if (a == NULL || !xmlStrEqual(a, CG_XC(CG_URI_C14N)) || has_elem_child(c)) {
        rc = CG_ERR_SET(err, CG_ESIG, "canonicalization %s is not accepted (CEB fixes %s)",
                        a != NULL ? (const char *)a : "(no Algorithm)", CG_URI_C14N);
        goto done;
    }
    xmlFree(a);
    a = NULL;
    c = next_elem(c->next);
    if (!cg_is_ds(c, "SignatureMethod")) {
        rc = CG_ERR_SET(err, CG_ESIG, "ds:SignedInfo has no ds:SignatureMethod");
        goto done;
    }
    a = alg_attr(c);
    *alg = cg_sig_alg_by_uri((const char *)a);
    if (*alg == NULL || has_elem_child(c)) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "signature method %s is not accepted (sm2-sm3, rsa-sha1 or "
                        "rsa-sha256)",
                        a != NULL ? (const char *)a : "(no Algorithm)");
        goto done;
    }
    c = next_elem(c->next);
    if (!cg_is_ds(c, "Reference")) {
        rc = CG_ERR_SET(err, CG_ESIG, NOT_ROOT "ds:SignedInfo has no ds:Reference");
        goto done;
    }
    if (next_elem(c->next) != NULL) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        NOT_ROOT "ds:SignedInfo has more than one ds:Reference "
                                 "or another element after it (%s, line %d)",
                        name_of(next_elem(c->next)), lineno(next_elem(c->next)));
        goto done;
    }
    rc = check_reference(c, md, err);
    if (rc == CG_OK && !(*alg)->sm2 && *md != EVP_sha1() && *md != EVP_sha256())
        rc = CG_ERR_SET(err, CG_ESIG, "digest method %s does not go with %s (sha1 or sha256)",
                        EVP_MD_get0_name(*md), (*alg)->name);
done:
    xmlFree(a);
    return rc;
}

/* The DER bytes of the one ds:X509Certificate of KeyInfo ki (*der is the caller's, xmlFree). */
static int read_cert_der(xmlNodePtr ki, xmlChar **der, size_t *der_len, xmlChar **key_name,
                         struct cg_err *err)
{
    xmlNodePtr c, d, found = NULL;
    int n = 0;
    xmlChar *text = NULL;
    xmlSecSize len = 0;

    for (c = next_elem(ki->children); c != NULL; c = next_elem(c->next)) {
        if (cg_is_ds(c, "KeyName") && *key_name == NULL)
            *key_name = xmlNodeGetContent(c);
        if (!cg_is_ds(c, "X509Data"))
            continue;
        for (d = next_elem(c->children); d != NULL; d = next_elem(d->next)) {
            if (cg_is_ds(d, "X509Certificate")) {
                found = d;
                n++;
            }
        }
    }
    if (n != 1)
        return CG_ERR_SET(err, CG_ESIG,
                          "ds:KeyInfo must carry exactly one "
                          "ds:X509Data/ds:X509Certificate (found %d)",
                          n);
    text = xmlNodeGetContent(found);
    if (text == NULL || xmlSecBase64DecodeInPlace(text, &len) < 0 || len == 0) {
        xmlFree(text);
        return CG_ERR_SET(err, CG_ESIG, "ds:X509Certificate is not base64");
    }
    *der = text;
    *der_len = len;
    return CG_OK;
}

static void subject_of(X509 *x, char *out, size_t size)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    if (b == NULL)
        return;
    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    n = BIO_get_mem_data(b, &p);
    if (n > 0 && (size_t)n < size) {
        memcpy(out, p, (size_t)n);
        out[n] = '\0';
    }
    BIO_free(b);
}

static void fill_info(struct cg_sig_info *info, const struct cg_sig_alg *alg,
                      const xmlChar *key_name, const struct cg_cert_entry *e)
{
    memset(info, 0, sizeof(*info));
    cg_strlcpy(info->alg, alg->name, sizeof(info->alg));
    if (key_name != NULL)
        cg_strlcpy(info->key_name, (const char *)key_name, sizeof(info->key_name));
    cg_strlcpy(info->subject, e->subject, sizeof(info->subject));
    cg_strlcpy(info->serial, e->serial, sizeof(info->serial));
    cg_strlcpy(info->not_after, e->not_after, sizeof(info->not_after));
    cg_strlcpy(info->sha256, e->sha_hex, sizeof(info->sha256));
}

/*
 * A new cache entry for the DER certificate der (whose SHA-256 is sha): decoded (every byte
 * must belong to the certificate), checked by cg_sign_cert_check (the answer is kept, a
 * refusal too) and described for reports. Only a certificate that cannot be decoded is an
 * error here.
 */
static int cert_entry_new(const unsigned char *der, size_t len, const unsigned char sha[32],
                          struct cg_cert_entry **out, struct cg_err *err)
{
    struct cg_cert_entry *e = calloc(1, sizeof(*e));
    const unsigned char *p = der;
    struct cg_err ce;
    BIO *b;
    BIGNUM *bn;
    char *hex, *s = NULL;
    long n;
    size_t i;

    if (e == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    e->cert = d2i_X509(NULL, &p, (long)len);
    if (e->cert == NULL || p != der + len) {
        cg_cert_entry_free(e);
        ERR_clear_error();
        return CG_ERR_SET(err, CG_ESIG, "ds:X509Certificate does not hold an X.509 certificate");
    }
    /* set before the entry is shared: the chain check needs it and must not change it later */
    if (sm2_cert_id(e->cert) != CG_OK) {
        cg_cert_entry_free(e);
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    memcpy(e->sha, sha, 32);
    for (i = 0; i < 32; i++)
        snprintf(e->sha_hex + 2 * i, 3, "%02x", sha[i]);
    cg_err_clear(&ce);
    e->check_rc = cg_sign_cert_check(e->cert, &ce);
    cg_strlcpy(e->check_msg, ce.msg, sizeof(e->check_msg));
    subject_of(e->cert, e->subject, sizeof(e->subject));
    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(e->cert), NULL);
    hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (hex != NULL)
        cg_strlcpy(e->serial, hex, sizeof(e->serial));
    OPENSSL_free(hex);
    BN_free(bn);
    b = BIO_new(BIO_s_mem());
    if (b != NULL && ASN1_TIME_print(b, X509_get0_notAfter(e->cert)) == 1) {
        n = BIO_get_mem_data(b, &s);
        if (n > 0 && (size_t)n < sizeof(e->not_after)) {
            memcpy(e->not_after, s, (size_t)n);
            e->not_after[n] = '\0';
        }
    }
    BIO_free(b);
    ERR_clear_error();
    *out = e;
    return CG_OK;
}

/* The entry of the certificate in KeyInfo ki: from t's cache, else decoded (and cached). */
static int cert_entry(const struct cg_trust *t, xmlNodePtr ki, struct cg_cert_entry **out,
                      xmlChar **key_name, struct cg_err *err)
{
    struct cg_cert_cache *cache = cg_trust_cert_cache(t);
    unsigned char sha[32];
    xmlChar *der = NULL;
    size_t len = 0;
    struct cg_cert_entry *e;
    int rc;

    rc = read_cert_der(ki, &der, &len, key_name, err);
    if (rc != CG_OK)
        return rc;
    if (SHA256(der, len, sha) == NULL) {
        xmlFree(der);
        return CG_ERR_SET(err, CG_ECRYPTO, "SHA-256 of the certificate failed");
    }
    e = cg_cert_cache_get(cache, sha);
    if (e == NULL) {
        rc = cert_entry_new(der, len, sha, &e, err);
        if (rc == CG_OK)
            e = cg_cert_cache_add(cache, e);
    }
    xmlFree(der);
    *out = e;
    return rc;
}

/* ------------------------------------------------------------------ cryptography */

/* The text of a base64 element (line breaks allowed), decoded; *out is the caller's (xmlFree). */
static int b64_content(xmlNodePtr n, xmlChar **out, size_t *len)
{
    xmlChar *text = n != NULL ? xmlNodeGetContent(n) : NULL;
    xmlSecSize sz = 0;

    if (text == NULL || xmlSecBase64DecodeInPlace(text, &sz) < 0) {
        xmlFree(text);
        return CG_EINVAL;
    }
    *out = text;
    *len = sz;
    return CG_OK;
}

static xmlNodePtr ds_child(xmlNodePtr n, const char *local)
{
    xmlNodePtr c;

    for (c = next_elem(n->children); c != NULL; c = next_elem(c->next))
        if (cg_is_ds(c, local))
            return c;
    return NULL;
}

/* RSA PKCS#1 v1.5 with alg's hash: sv over data, with the public key pub. */
static int rsa_verify(EVP_PKEY *pub, const struct cg_sig_alg *alg, const unsigned char *data,
                      size_t len, const unsigned char *sv, size_t sv_len, const char *what,
                      struct cg_err *err)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int rc = CG_OK;

    if (mctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (EVP_DigestVerifyInit(mctx, NULL, alg->md(), NULL, pub) != 1) {
        /* OpenSSL refuses the algorithm: say so, with the cure */
        ERR_clear_error();
        rc = cg_sig_probe_verify(pub, alg, err);
        if (rc == CG_OK)
            rc = CG_ERR_SET(err, CG_ECRYPTO, "OpenSSL refuses to check an %s signature", alg->name);
    } else if (EVP_DigestVerify(mctx, sv, sv_len, data, len) != 1) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "wrong key: ds:SignatureValue does not verify with the "
                        "public key of %s; the signature or SignedInfo was altered, or another "
                        "key signed it",
                        what);
    }
    ERR_clear_error();
    EVP_MD_CTX_free(mctx);
    return rc;
}

/*
 * The signature with the key of cert: DigestValue with md over the document without sig, then
 * SignatureValue over SignedInfo si in place (inclusive C14N 1.0): RSA PKCS#1 v1.5, or SM2 as
 * the raw r||s with the distinguishing identifier id. The shape was checked before.
 */
static int sig_verify(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr si, const struct cg_cert_entry *e,
                      const struct cg_sig_alg *alg, const EVP_MD *md, const char *id,
                      struct cg_err *err)
{
    EVP_PKEY *pub = X509_get0_pubkey(e->cert);
    const char *subj = e->subject;
    unsigned char dv[EVP_MAX_MD_SIZE];
    unsigned int dv_len = 0;
    xmlChar *want = NULL, *sv = NULL;
    size_t want_len = 0, sv_len = 0;
    struct cg_buf b;
    char what[600];
    int rc;

    cg_buf_init(&b, 64u * 1024u);
    if (alg->sm2 && (pub == NULL || !EVP_PKEY_is_a(pub, "SM2"))) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "certificate in ds:KeyInfo (%s) has no SM2 public key, but the signature "
                        "method is sm2-sm3",
                        subj);
        goto done;
    }
    if (!alg->sm2 && (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)) {
        rc = CG_ERR_SET(err, CG_ESIG, "certificate in ds:KeyInfo (%s) has no RSA public key", subj);
        goto done;
    }
    if (b64_content(ds_child(ds_child(si, "Reference"), "DigestValue"), &want, &want_len) !=
        CG_OK) {
        rc =
            CG_ERR_SET(err, CG_ESIG, "signature cannot be processed: ds:DigestValue is not base64");
        goto done;
    }
    rc = cg_c14n_digest(doc, sig, md, dv, &dv_len);
    if (rc != CG_OK) {
        rc = CG_ERR_SET(err, rc, "cannot canonicalize and digest the document");
        goto done;
    }
    if (want_len != dv_len || memcmp(want, dv, dv_len) != 0) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "digest mismatch: the document was changed after it "
                        "was signed (ds:DigestValue does not match its content)");
        goto done;
    }
    if (b64_content(ds_child(sig, "SignatureValue"), &sv, &sv_len) != CG_OK) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "signature cannot be processed: ds:SignatureValue is not base64");
        goto done;
    }
    rc = cg_c14n_signed_info(doc, xmlDocGetRootElement(doc), sig, si, &b);
    if (rc != CG_OK) {
        rc = CG_ERR_SET(err, rc, "cannot canonicalize SignedInfo");
        goto done;
    }
    snprintf(what, sizeof(what), "the certificate in ds:KeyInfo (%s)", subj);
    if (alg->sm2)
        rc = cg_sm2_verify(pub, id, (const unsigned char *)b.data, b.len, sv, sv_len, what, err);
    else
        rc = rsa_verify(pub, alg, (const unsigned char *)b.data, b.len, sv, sv_len, what, err);
done:
    xmlFree(want);
    xmlFree(sv);
    cg_buf_free(&b);
    return rc;
}

/* True while every certificate of a verified chain is within its validity period. */
static bool chain_current(STACK_OF(X509) * chain)
{
    int i;
    X509 *x;

    for (i = 0; i < sk_X509_num(chain); i++) {
        x = sk_X509_value(chain, i);
        if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
            X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
            return false;
    }
    return true;
}

/*
 * The certificate of e must chain to a trusted one. The chain found the first time is kept in
 * the entry; the next message with the same certificate is let through on it only while each of
 * its certificates is still valid (what else X509_verify_cert checks depends only on the
 * certificates and on t's store, and the store does not change while entries are kept).
 */
static int check_trust(const struct cg_trust *t, struct cg_cert_entry *e, struct cg_err *err)
{
    X509_STORE_CTX *sc;
    X509 *cert = e->cert;
    STACK_OF(X509) *chain = cg_cert_cache_chain(t->cache, e);
    char subj[256];
    int rc = CG_OK;

    if (chain != NULL && t->count > 0 && chain_current(chain))
        return CG_OK;
    sc = X509_STORE_CTX_new();
    if (sc == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    subject_of(cert, subj, sizeof(subj));
    if (t->count == 0) {
        rc = CG_ERR_SET(err, CG_ESIG,
                        "untrusted certificate: %s (no trusted certificates "
                        "loaded)",
                        subj);
    } else if (X509_STORE_CTX_init(sc, t->store, cert, NULL) != 1) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    } else {
        /* A trusted certificate may be the signer itself (pinned) or a CA above it. */
        X509_STORE_CTX_set_flags(sc, X509_V_FLAG_PARTIAL_CHAIN);
        /* The reason carries nothing of the certificate: X509_verify_cert_error_string() returns
         * a string literal chosen by the error code alone (OpenSSL 3.0 x509_txt.c; a code it
         * does not know gets "unknown certificate verification error", no number or name is
         * printed into a buffer), and no verify callback is installed that could set a reason
         * of its own. The certificate's bytes are in subj only, with control characters escaped
         * by X509_NAME_print_ex; the port escapes the whole answer again (cg_text_show). */
        if (X509_verify_cert(sc) != 1)
            rc = CG_ERR_SET(err, CG_ESIG, "untrusted certificate: %s: %s", subj,
                            X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
        else if ((chain = X509_STORE_CTX_get1_chain(sc)) != NULL)
            cg_cert_cache_set_chain(t->cache, e, chain);
    }
    ERR_clear_error();
    X509_STORE_CTX_free(sc);
    return rc;
}

int cg_verify_info(xmlDocPtr doc, const struct cg_trust *t, struct cg_sig_info *info,
                   struct cg_err *err)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = NULL, second = NULL, si, c, last;
    const struct cg_sig_alg *alg = NULL;
    const EVP_MD *md = NULL;
    xmlChar *key_name = NULL;
    struct cg_cert_entry *e = NULL;
    int count = 0;
    int rc = CG_OK;

    if (root == NULL)
        return CG_ERR_SET(err, CG_ESIG, "no signature: the document is empty");
    if (cg_is_ds(root, "Signature"))
        return CG_ERR_SET(err, CG_ESIG, NOT_ROOT "the root element is itself a ds:Signature");
    find_sigs(root, &sig, &second, &count);
    if (count == 0)
        return CG_ERR_SET(err, CG_ESIG, "no signature: the document has no ds:Signature");
    if (count > 1)
        return CG_ERR_SET(err, CG_ESIG,
                          "more than one ds:Signature (%d; a second one at line "
                          "%d): a CEB message carries exactly one",
                          count, lineno(second));
    if (sig->parent != root)
        return CG_ERR_SET(err, CG_ESIG,
                          NOT_ROOT "ds:Signature (line %d) is inside <%s>, not a "
                                   "child of the root <%s>",
                          lineno(sig), name_of(sig->parent), name_of(root));
    for (last = NULL, c = next_elem(root->children); c != NULL; c = next_elem(c->next))
        last = c;
    if (last != sig)
        return CG_ERR_SET(err, CG_ESIG,
                          NOT_ROOT "ds:Signature (line %d) is not the last child "
                                   "of the root: <%s> (line %d) follows it",
                          lineno(sig), name_of(last), lineno(last));
    c = next_elem(sig->children);
    if (!cg_is_ds(c, "SignedInfo"))
        return CG_ERR_SET(err, CG_ESIG, "ds:Signature does not start with ds:SignedInfo");
    si = c;
    rc = check_signed_info(si, &alg, &md, err);
    if (rc != CG_OK)
        return rc;
    c = next_elem(c->next);
    if (!cg_is_ds(c, "SignatureValue"))
        return CG_ERR_SET(err, CG_ESIG, "ds:SignedInfo is not followed by ds:SignatureValue");
    c = next_elem(c->next);
    if (!cg_is_ds(c, "KeyInfo"))
        return CG_ERR_SET(err, CG_ESIG, "ds:KeyInfo with the signing certificate is missing");
    if (next_elem(c->next) != NULL)
        return CG_ERR_SET(err, CG_ESIG,
                          NOT_ROOT "unexpected <%s> after ds:KeyInfo (no "
                                   "ds:Object or other content is allowed)",
                          name_of(next_elem(c->next)));
    rc = cert_entry(t, c, &e, &key_name, err);
    if (rc != CG_OK || e == NULL)
        goto done;
    if (e->check_rc != CG_OK)
        rc = CG_ERR_SET(err, e->check_rc, "%s", e->check_msg);
    else
        rc = sig_verify(doc, sig, si, e, alg, md, t != NULL ? t->sm2_id : CG_SM2_DEFAULT_ID, err);
    if (rc == CG_OK && t != NULL)
        rc = check_trust(t, e, err);
    if (rc == CG_OK && info != NULL)
        fill_info(info, alg, key_name, e);
done:
    xmlFree(key_name);
    cg_cert_cache_put(cg_trust_cert_cache(t), e);
    return rc;
}

int cg_verify(xmlDocPtr doc, const struct cg_trust *t, struct cg_err *err)
{
    return cg_verify_info(doc, t, NULL, err);
}

int cg_trust_check_signer(const struct cg_trust *t, const unsigned char *der, size_t len,
                          struct cg_err *err)
{
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)len);
    X509_STORE_CTX *sc = NULL;
    int rc;

    if (x == NULL || q != der + len) {
        X509_free(x);
        ERR_clear_error();
        return CG_ERR_SET(err, CG_ESIG, "not an X.509 certificate");
    }
    if (sm2_cert_id(x) != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else
        rc = cg_sign_cert_check(x, err);
    if (rc == CG_OK && t->count == 0)
        rc = CG_ERR_SET(err, CG_ESIG, "no trusted certificates loaded");
    if (rc == CG_OK &&
        ((sc = X509_STORE_CTX_new()) == NULL || X509_STORE_CTX_init(sc, t->store, x, NULL) != 1))
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (rc == CG_OK) {
        /* the flags check_trust() verifies a message's certificate with */
        X509_STORE_CTX_set_flags(sc, X509_V_FLAG_PARTIAL_CHAIN);
        if (X509_verify_cert(sc) != 1)
            rc = CG_ERR_SET(err, CG_ESIG, "does not verify against the trusted certificates: %s",
                            X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
    }
    ERR_clear_error();
    X509_STORE_CTX_free(sc);
    X509_free(x);
    return rc;
}
