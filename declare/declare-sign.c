/*
 * declare-sign.c - enveloped XML-DSig signatures on CEB messages: the signer and its two
 * backends.
 *
 * The signature is what the CEB specification (§6) and the official samples show: inclusive
 * C14N 1.0, one Reference URI="" with only the enveloped-signature transform, ds:Signature as
 * the last child of the root, KeyInfo = KeyName then X509Data/X509Certificate. Algorithms: the
 * two the 202205 specification names (§6.2.1.2), sm2-sm3 (SM2 key, SM3 DigestValue, the
 * chinaport 2022/04 URIs, SignatureValue the raw 64-byte r||s, distinguishing identifier in Z
 * from sm2_id) and rsa-sha1 (RSA key), and rsa-sha256 when asked for by name. Without a
 * sign_alg the algorithm follows the key.
 *
 * local: the key is loaded once (declare-sign-key.c) and an OpenSSL signing context for it is
 * set up once per signer. cg_signer_clone gives another thread a signer that shares the loaded
 * EVP_PKEY (a reference, OpenSSL counts them atomically and allows concurrent use of one key
 * through separate contexts) and has its own contexts and buffers; nothing of a signer is
 * written while signing except those per-signer contexts and buffers. Per message the document
 * digest is the inclusive C14N 1.0 form of the document taken before the Signature element is
 * appended - exactly what the enveloped-signature transform leaves of the signed document, without
 * building xmlsec's node sets (whose membership test is linear per node) - then the xmlsec template
 * is appended and filled: DigestValue, the C14N form of SignedInfo in its final place (both
 * written by declare-c14n.c straight into the digest and a reused buffer; by xmlC14NExecute for
 * a tree that file leaves to libxml2; verification uses only libxml2's), one RSA
 * operation with the reused context (SM2: a copy of a DigestSign context set up once, Z already
 * hashed, continued with SignedInfo and finished). The RSA result is byte for byte what
 * xmlSecDSigCtxSign writes into the same template (xmlsec has no SM2 transforms); that engine stays
 * available (cg_signer_opts.xmlsec_engine) as the reference the tests compare the direct path
 * against. remote: the same digest and SignedInfo form; the service (declare-remote.c) signs those
 * bytes, and the answer is checked against the returned certificate before it goes into the
 * document.
 *
 * KeyInfo is written by this file in both cases, after the signature value: it lies outside
 * SignedInfo and inside the enveloped Signature, so it is covered by nothing.
 * On any error the Signature element is removed again and the document is as it was.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/log.h"
#include "declare/declare-sign-int.h"
#include "declare/declare.h"

/* Base64 line length of X509Certificate, as in the official samples. */
#define CERT_B64_COLUMNS 76
/* SignedInfo is a few hundred bytes; this bounds what is sent to a remote signer. */
#define SIGNED_INFO_MAX (64u * 1024u)
/* Largest signature value of a local key (RSA-8192). */
#define CG_SIG_MAX 1024u

enum signer_kind { SIGNER_LOCAL, SIGNER_REMOTE };

struct cg_signer {
    enum signer_kind kind;
    const struct cg_sig_alg *alg;
    char *key_name;     /* NULL: remote only, taken from the service's answer */
    EVP_PKEY *pkey;     /* local: one reference to the key, which clones share */
    xmlSecKeyPtr key;   /* local with xmlsec_engine (holds its own reference to pkey) */
    EVP_PKEY_CTX *pctx; /* local: RSA PKCS#1 v1.5 signing with alg's digest, set up once;
                           SM2: the key with its distinguishing identifier, inside sctx */
    EVP_MD_CTX *sctx;   /* local SM2: DigestSign context around pctx, Z already hashed */
    EVP_MD_CTX *wctx;   /* local SM2: a copy of sctx per message */
    char *sm2_id;       /* SM2 distinguishing identifier */
    size_t sig_max;     /* local: signature size of the key */
    xmlChar *cert_b64;  /* local: the signing certificate, base64 DER */
    EVP_MD *md;         /* alg's digest, fetched once */
    EVP_MD_CTX *mctx;   /* reused for every digest */
    struct cg_buf si;   /* reused for the canonical SignedInfo */
    struct cg_remote *remote;
};

#define URI_SHA1 "http://www.w3.org/2000/09/xmldsig#sha1"

/* By name the first entry wins; the last one is only read (verification). */
static const struct cg_sig_alg algs[] = {
    {"sm2-sm3", "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3",
     "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3", EVP_sm3, 1},
    {"rsa-sha1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", URI_SHA1, EVP_sha1, 0},
    {"rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
     "http://www.w3.org/2001/04/xmlenc#sha256", EVP_sha256, 0},
    /* what older E-Port smart-card clients write: SM2 with SM3, DigestMethod SHA-1 */
    {"sm2-sm3", "http://www.w3.org/2000/09/xmldsig#sm2-sm3", URI_SHA1, EVP_sm3, 1},
};

/* DigestMethod URIs accepted when verifying. */
static const struct {
    const char *uri;
    const EVP_MD *(*md)(void);
} digests[] = {
    {"http://www.chinaport.gov.cn/2022/04/xmldsig#sm3", EVP_sm3},
    {URI_SHA1, EVP_sha1},
    {"http://www.w3.org/2001/04/xmlenc#sha256", EVP_sha256},
};

const struct cg_sig_alg *cg_sig_alg_by_name(const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strcmp(algs[i].name, name) == 0)
            return &algs[i];
    return NULL;
}

const struct cg_sig_alg *cg_sig_alg_by_uri(const char *sig_uri)
{
    size_t i;

    for (i = 0; sig_uri != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strcmp(algs[i].sig_uri, sig_uri) == 0)
            return &algs[i];
    return NULL;
}

const EVP_MD *cg_sig_digest_by_uri(const char *digest_uri)
{
    size_t i;

    for (i = 0; digest_uri != NULL && i < sizeof(digests) / sizeof(digests[0]); i++)
        if (strcmp(digests[i].uri, digest_uri) == 0)
            return digests[i].md();
    return NULL;
}

void cg_ssl_error(char *out, size_t size)
{
    unsigned long e = ERR_peek_last_error();

    out[0] = '\0';
    if (e != 0)
        ERR_error_string_n(e, out, size);
    else
        cg_strlcpy(out, "no detail from OpenSSL", size);
    ERR_clear_error();
}

static const char sha1_cure[] =
    "the OpenSSL configuration or system crypto policy forbids SHA-1 signatures. The CEB "
    "specification names rsa-sha1; either allow SHA-1 signatures for cebgate (on RHEL-like "
    "systems: update-crypto-policies --set DEFAULT:SHA1, or rh-allow-sha1-signatures = yes in "
    "an OPENSSL_CONF file), sign with an SM2 key (sm2-sm3, the algorithm the specification "
    "prefers), or set [declare] sign_alg = rsa-sha256 if the receiver accepts it";

int cg_sig_probe(EVP_PKEY *pkey, const struct cg_sig_alg *alg, struct cg_err *err)
{
    static const unsigned char probe[] = "cebgate signature probe";
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    char ssl[256];
    int rc = CG_OK;

    if (mctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (EVP_DigestSignInit(mctx, NULL, alg->md(), NULL, pkey) != 1 ||
        EVP_DigestSign(mctx, sig, &sig_len, probe, sizeof(probe) - 1) != 1) {
        cg_ssl_error(ssl, sizeof(ssl));
        if (alg->md() == EVP_sha1())
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "OpenSSL refuses to make an RSA-SHA1 signature "
                            "(%s): %s",
                            ssl, sha1_cure);
        else
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "OpenSSL refuses to make an %s signature with "
                            "this key (%s)",
                            alg->name, ssl);
    }
    EVP_MD_CTX_free(mctx);
    return rc;
}

int cg_sig_probe_verify(EVP_PKEY *pub, const struct cg_sig_alg *alg, struct cg_err *err)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    char ssl[256];
    int rc = CG_OK;

    if (mctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (EVP_DigestVerifyInit(mctx, NULL, alg->md(), NULL, pub) != 1) {
        cg_ssl_error(ssl, sizeof(ssl));
        if (alg->md() == EVP_sha1())
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "OpenSSL refuses to check an RSA-SHA1 signature "
                            "(%s): %s",
                            ssl, sha1_cure);
        else
            rc = CG_ERR_SET(err, CG_ECRYPTO, "OpenSSL refuses to check an %s signature (%s)",
                            alg->name, ssl);
    }
    EVP_MD_CTX_free(mctx);
    return rc;
}

/* An SM2 DigestSign/DigestVerify context for pkey with the distinguishing identifier id. */
static int sm2_ctx(EVP_MD_CTX **mctx, EVP_PKEY_CTX **pctx, EVP_PKEY *pkey, const char *id)
{
    *mctx = EVP_MD_CTX_new();
    *pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (*mctx == NULL || *pctx == NULL)
        return CG_ENOMEM;
    if (EVP_PKEY_CTX_set1_id(*pctx, id, strlen(id)) != 1)
        return CG_ECRYPTO;
    EVP_MD_CTX_set_pkey_ctx(*mctx, *pctx); /* pctx stays the caller's */
    return CG_OK;
}

/* r||s (64 bytes) to the DER ECDSA-Sig-Value OpenSSL takes; *der is the caller's. */
static int rs_to_der(const unsigned char *rs, unsigned char **der, int *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, CG_SM2_RS_LEN / 2, NULL);
    BIGNUM *sv = BN_bin2bn(rs + CG_SM2_RS_LEN / 2, CG_SM2_RS_LEN / 2, NULL);
    int rc = CG_ENOMEM;

    if (es != NULL && r != NULL && sv != NULL && ECDSA_SIG_set0(es, r, sv) == 1) {
        r = sv = NULL;
        *der = NULL;
        *der_len = i2d_ECDSA_SIG(es, der);
        if (*der_len > 0)
            rc = CG_OK;
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(es);
    return rc;
}

/* The DER signature OpenSSL makes to r||s, each left-padded to 32 bytes. */
static int der_to_rs(const unsigned char *der, size_t der_len, unsigned char *rs)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    const BIGNUM *r = NULL, *sv = NULL;
    int rc = CG_ECRYPTO;

    if (es != NULL) {
        ECDSA_SIG_get0(es, &r, &sv);
        if (BN_bn2binpad(r, rs, CG_SM2_RS_LEN / 2) == CG_SM2_RS_LEN / 2 &&
            BN_bn2binpad(sv, rs + CG_SM2_RS_LEN / 2, CG_SM2_RS_LEN / 2) == CG_SM2_RS_LEN / 2)
            rc = CG_OK;
    }
    ECDSA_SIG_free(es);
    return rc;
}

int cg_sm2_verify(EVP_PKEY *pub, const char *id, const unsigned char *data, size_t len,
                  const unsigned char *rs, size_t rs_len, const char *what, struct cg_err *err)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    ECDSA_SIG *es = NULL;
    const unsigned char *p = rs;
    unsigned char *der = NULL;
    int der_len = 0;
    char ssl[256];
    int rc;

    if (rs_len != CG_SM2_RS_LEN) {
        es = d2i_ECDSA_SIG(NULL, &p, (long)rs_len);
        if (es != NULL && p == rs + rs_len)
            rc = CG_ERR_SET(err, CG_ESIG,
                            "SignatureValue is a DER-encoded SM2 signature (%zu bytes, an ASN.1 "
                            "SEQUENCE of r and s); CEB carries the raw 64-byte r||s",
                            rs_len);
        else
            rc = CG_ERR_SET(err, CG_ESIG,
                            "SignatureValue is %zu bytes; an SM2 signature in CEB is the raw "
                            "64-byte r||s",
                            rs_len);
        goto done;
    }
    rc = rs_to_der(rs, &der, &der_len);
    if (rc == CG_OK)
        rc = sm2_ctx(&mctx, &pctx, pub, id);
    if (rc != CG_OK) {
        cg_ssl_error(ssl, sizeof(ssl));
        rc = CG_ERR_SET(err, rc, "cannot set up SM2 verification (%s)", ssl);
        goto done;
    }
    if (EVP_DigestVerifyInit(mctx, NULL, EVP_sm3(), NULL, pub) != 1) {
        cg_ssl_error(ssl, sizeof(ssl));
        rc = CG_ERR_SET(err, CG_ECRYPTO, "OpenSSL refuses to check an SM2 signature (%s)", ssl);
        goto done;
    }
    if (EVP_DigestVerify(mctx, der, (size_t)der_len, data, len) != 1)
        rc = CG_ERR_SET(err, CG_ESIG,
                        "wrong key: ds:SignatureValue does not verify with the SM2 public key of "
                        "%s (distinguishing identifier %s); the signature or SignedInfo was "
                        "altered, or another key signed it",
                        what, id);
done:
    ERR_clear_error();
    ECDSA_SIG_free(es);
    OPENSSL_free(der);
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    return rc;
}

/* The local name first: in a message most elements differ from it in the first byte. */
int cg_is_ds(const xmlNode *n, const char *local)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
           xmlStrEqual(n->name, CG_XC(local)) && xmlStrEqual(n->ns->href, CG_XC(CG_NS_DS));
}

static int count_sigs(xmlNodePtr n, int remove)
{
    xmlNodePtr c, next;
    int count = 0;

    for (c = n->children; c != NULL; c = next) {
        next = c->next;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (cg_is_ds(c, "Signature")) {
            count++;
            if (remove) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
            continue;
        }
        count += count_sigs(c, remove);
    }
    return count;
}

int cg_sig_strip(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    int n;

    if (root == NULL)
        return 0;
    if (cg_is_ds(root, "Signature"))
        return 0; /* a detached Signature document is not ours to empty */
    n = count_sigs(root, 1);
    return n;
}

/* ------------------------------------------------------------------ signer set-up */

static int thread_state(struct cg_signer *s, struct cg_err *err);

/*
 * The signing context of the direct path: RSA PKCS#1 v1.5 over a digest computed by the
 * caller; SM2 a DigestSign context holding the distinguishing identifier (SM2 hashes Z, which
 * depends on the identifier and the public key, ahead of the message).
 */

static int new_pkey_ctx(struct cg_signer *s, EVP_PKEY *pkey, struct cg_err *err)
{
    char ssl[256];
    int size = EVP_PKEY_get_size(pkey);
    int rc;

    if (s->alg->sm2) {
        s->sig_max = CG_SM2_RS_LEN;
        rc = sm2_ctx(&s->sctx, &s->pctx, pkey, s->sm2_id);
        if (rc == CG_OK && (s->wctx = EVP_MD_CTX_new()) == NULL)
            rc = CG_ENOMEM;
        /* an empty update makes OpenSSL hash Z = SM3(ENTL, ID, curve, public key) now */
        if (rc == CG_OK && (EVP_DigestSignInit(s->sctx, NULL, s->md, NULL, pkey) != 1 ||
                            EVP_DigestSignUpdate(s->sctx, "", 0) != 1))
            rc = CG_ECRYPTO;
        if (rc != CG_OK) {
            cg_ssl_error(ssl, sizeof(ssl));
            return CG_ERR_SET(err, rc, "OpenSSL refuses SM2 signatures with this key (%s)", ssl);
        }
        return CG_OK;
    }
    if (size <= 0 || (size_t)size > CG_SIG_MAX)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "RSA keys up to %u bits are supported",
                          CG_SIG_MAX * 8u);
    s->sig_max = (size_t)size;
    s->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (s->pctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (EVP_PKEY_sign_init(s->pctx) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(s->pctx, RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(s->pctx, s->md) != 1) {
        cg_ssl_error(ssl, sizeof(ssl));
        return CG_ERR_SET(err, CG_ECRYPTO, "OpenSSL refuses %s signatures with this key (%s)",
                          s->alg->name, ssl);
    }
    return CG_OK;
}

/*
 * The per-signer state of a local signer around s->pkey: the direct path's signing context, or
 * with xmlsec_engine an xmlsec key holding its own reference to s->pkey. src names the key in
 * errors.
 */
static int local_state(struct cg_signer *s, bool xmlsec_engine, const char *src, struct cg_err *err)
{
    xmlSecKeyDataPtr data = NULL;
    EVP_PKEY *ref = NULL;
    int rc = CG_OK;

    if (!xmlsec_engine)
        return new_pkey_ctx(s, s->pkey, err);
    if (s->alg->sm2)
        return CG_ERR_SET(err, CG_EUNSUPPORTED,
                          "xmlsec has no SM2 transform: sm2-sm3 signs with cebgate's own path");
    s->key = xmlSecKeyCreate();
    if (s->key == NULL || EVP_PKEY_up_ref(s->pkey) != 1) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    ref = s->pkey;
    data = xmlSecOpenSSLEvpKeyAdopt(ref);
    if (data == NULL) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "xmlsec cannot take the key from %s", src);
        goto done;
    }
    ref = NULL; /* owned by data now */
    if (xmlSecKeySetValue(s->key, data) < 0) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "xmlsec cannot take the key from %s", src);
        goto done;
    }
    data = NULL;
done:
    if (data != NULL)
        xmlSecKeyDataDestroy(data);
    EVP_PKEY_free(ref);
    return rc;
}

/*
 * The algorithm of a local signer: sign_alg when set (it must fit the key), else the one the
 * specification names for the key: sm2-sm3 for SM2, rsa-sha1 for RSA.
 */
static int key_alg(struct cg_signer *s, EVP_PKEY *pkey, const char *key_file, struct cg_err *err)
{
    int sm2 = EVP_PKEY_is_a(pkey, "SM2");

    if (s->alg == NULL)
        s->alg = cg_sig_alg_by_name(sm2 ? "sm2-sm3" : "rsa-sha1");
    else if (s->alg->sm2 && !sm2)
        return CG_ERR_SET(err, CG_EUNSUPPORTED,
                          "sign_alg = sm2-sm3 needs an SM2 key; key file %s holds an RSA key "
                          "(use rsa-sha1, or leave sign_alg unset)",
                          key_file);
    else if (!s->alg->sm2 && sm2)
        return CG_ERR_SET(err, CG_EUNSUPPORTED,
                          "sign_alg = %s needs an RSA key; key file %s holds an SM2 key (use "
                          "sm2-sm3, or leave sign_alg unset)",
                          s->alg->name, key_file);
    return CG_OK;
}

static int new_local(struct cg_signer *s, const struct cg_signer_opts *o, struct cg_err *err)
{
    char pass[1024];
    int have = 0;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    unsigned char *der = NULL;
    int der_len;
    int rc;

    rc = cg_sign_read_pass(o, pass, sizeof(pass), &have, err);
    if (rc != CG_OK)
        goto done;
    rc = cg_sign_load_key(o->key_file, o->cert_file, have ? pass : NULL, &pkey, &cert, err);
    OPENSSL_cleanse(pass, sizeof(pass));
    if (rc != CG_OK)
        goto done;
    rc = key_alg(s, pkey, o->key_file, err);
    if (rc == CG_OK)
        rc = thread_state(s, err);
    if (rc != CG_OK)
        goto done;
    rc = cg_sig_probe(pkey, s->alg, err);
    if (rc != CG_OK)
        goto done;
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        cg_warn("signing certificate for %s has expired: receivers will reject the signatures",
                o->key_file);
    der_len = i2d_X509(cert, &der);
    if (der_len <= 0) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "cannot encode the signing certificate");
        goto done;
    }
    s->cert_b64 = xmlSecBase64Encode(der, (xmlSecSize)der_len, CERT_B64_COLUMNS);
    if (s->cert_b64 == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    s->pkey = pkey;
    pkey = NULL;
    rc = local_state(s, o->xmlsec_engine, o->key_file, err);
    if (rc == CG_OK)
        cg_debug("signing key %s loaded (%s, key_name %s)", o->key_file, s->alg->name, s->key_name);
done:
    OPENSSL_free(der);
    EVP_PKEY_free(pkey);
    X509_free(cert);
    return rc;
}

/* What each signer has for itself: the digest, its context and the SignedInfo buffer. */
static int thread_state(struct cg_signer *s, struct cg_err *err)
{
    cg_buf_init(&s->si, SIGNED_INFO_MAX);
    s->md = EVP_MD_fetch(NULL, EVP_MD_get0_name(s->alg->md()), NULL);
    s->mctx = EVP_MD_CTX_new();
    if (s->md == NULL || s->mctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "cannot set up the %s digest", s->alg->name);
    return CG_OK;
}

int cg_signer_new(const struct cg_signer_opts *o, struct cg_signer **out, struct cg_err *err)
{
    struct cg_signer *s = NULL;
    const char *kind = o->kind != NULL ? o->kind : "local";
    const char *key_name = o->key_name;
    int rc = CG_OK;

    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (o->alg != NULL && o->alg[0] != '\0') {
        s->alg = cg_sig_alg_by_name(o->alg);
        if (s->alg == NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "sign_alg %s: use sm2-sm3, rsa-sha1 or rsa-sha256",
                            o->alg);
            goto done;
        }
        if (strcmp(s->alg->name, "rsa-sha256") == 0)
            cg_warn("sign_alg = rsa-sha256 is not in the CEB specification (it names sm2-sm3 and "
                    "rsa-sha1): a port may refuse these signatures");
    }
    s->sm2_id = strdup(o->sm2_id != NULL && o->sm2_id[0] != '\0' ? o->sm2_id : CG_SM2_DEFAULT_ID);
    if (s->sm2_id == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    if (strlen(s->sm2_id) > 1023) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "sm2_id is longer than 1023 bytes");
        goto done;
    }
    /* remote: an empty key_name means "the certificate number the service sends" */
    if (kind != NULL && strcmp(kind, "remote") == 0 && o->key_name != NULL &&
        o->key_name[0] == '\0')
        key_name = NULL;
    if (key_name != NULL && (key_name[0] == '\0' || strlen(key_name) > 100)) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "key_name must be 1 to 100 characters");
        goto done;
    }
    if (key_name != NULL && (s->key_name = strdup(key_name)) == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    if (strcmp(kind, "local") == 0) {
        s->kind = SIGNER_LOCAL;
        if (key_name == NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "key_name (the certificate number for "
                            "ds:KeyName) is not set");
            goto done;
        }
        rc = new_local(s, o, err);
    } else if (strcmp(kind, "remote") == 0) {
        s->kind = SIGNER_REMOTE;
        if (s->alg == NULL) /* the key is not seen: what the specification names for RSA */
            s->alg = cg_sig_alg_by_name("rsa-sha1");
        rc = thread_state(s, err);
        if (rc == CG_OK)
            rc = cg_remote_new(o, &s->remote, err);
        if (rc == CG_OK)
            cg_debug("remote signer %s set up (%s)", o->remote_url, s->alg->name);
    } else {
        rc = CG_ERR_SET(err, CG_ECONFIG, "signer %s: use local or remote", kind);
    }
done:
    if (rc != CG_OK) {
        cg_signer_free(s);
        return rc;
    }
    *out = s;
    return CG_OK;
}

int cg_signer_clone(const struct cg_signer *s, struct cg_signer **out, struct cg_err *err)
{
    struct cg_signer *c = NULL;
    int rc = CG_OK;

    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    c->kind = s->kind;
    c->alg = s->alg;
    if ((c->sm2_id = strdup(s->sm2_id)) == NULL ||
        (s->key_name != NULL && (c->key_name = strdup(s->key_name)) == NULL)) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = thread_state(c, err);
    if (rc != CG_OK)
        goto done;
    if (s->kind == SIGNER_REMOTE) {
        rc = cg_remote_clone(s->remote, &c->remote, err);
        goto done;
    }
    c->cert_b64 = xmlStrdup(s->cert_b64);
    if (c->cert_b64 == NULL || EVP_PKEY_up_ref(s->pkey) != 1) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    c->pkey = s->pkey;
    rc = local_state(c, s->key != NULL, "the signer it was cloned from", err);
done:
    if (rc != CG_OK) {
        cg_signer_free(c);
        return rc;
    }
    *out = c;
    return CG_OK;
}

void cg_signer_free(struct cg_signer *s)
{
    if (s == NULL)
        return;
    if (s->key != NULL)
        xmlSecKeyDestroy(s->key);
    EVP_MD_CTX_free(s->wctx);
    EVP_MD_CTX_free(s->sctx); /* before pctx, which it uses */
    EVP_PKEY_CTX_free(s->pctx);
    EVP_PKEY_free(s->pkey);
    EVP_MD_CTX_free(s->mctx);
    EVP_MD_free(s->md);
    cg_buf_free(&s->si);
    xmlFree(s->cert_b64);
    cg_remote_free(s->remote);
    free(s->key_name);
    free(s->sm2_id);
    free(s);
}

int cg_signer_new_conf(const struct cg_conf *conf, const char *seller, struct cg_signer **out,
                       struct cg_err *err)
{
    struct cg_signer_opts o;
    char sec[160];
    const char *ks = "declare"; /* section the key settings come from */
    char *key_file = NULL, *cert_file = NULL, *pass_file = NULL, *remote_ca = NULL;
    int rc;

    memset(&o, 0, sizeof(o));
    if (seller != NULL) {
        if (strlen(seller) + sizeof("seller.") > sizeof(sec))
            return CG_ERR_SET(err, CG_EINVAL, "seller name %s is too long", seller);
        snprintf(sec, sizeof(sec), "seller.%s", seller);
        if (cg_conf_get(conf, sec, "key_file") != NULL)
            ks = sec;
    }
    o.kind = cg_conf_get(conf, "declare", "signer");
    o.alg = cg_conf_get(conf, "declare", "sign_alg");
    o.sm2_id = cg_conf_get(conf, "declare", "sm2_id");
    key_file = cg_conf_get_path(conf, ks, "key_file");
    cert_file = cg_conf_get_path(conf, ks, "cert_file");
    pass_file = cg_conf_get_path(conf, ks, "key_pass_file");
    remote_ca = cg_conf_get_path(conf, "declare", "remote_ca");
    o.key_file = key_file;
    o.cert_file = cert_file;
    o.pass_file = pass_file;
    o.pass_env = cg_conf_get(conf, ks, "key_pass_env");
    o.key_name = cg_conf_get(conf, ks, "key_name");
    if (o.key_name == NULL)
        o.key_name = cg_conf_get(conf, "declare", "key_name");
    o.remote_url = cg_conf_get(conf, "declare", "remote_url");
    o.remote_ca = remote_ca;
    o.remote_token = cg_conf_get(conf, "declare", "remote_token");
    rc = cg_signer_new(&o, out, err);
    if (rc != CG_OK && err != NULL && ks != NULL)
        cg_err_prefix(err, "[%s] signing key", ks);
    free(key_file);
    free(cert_file);
    free(pass_file);
    free(remote_ca);
    return rc;
}

/* ------------------------------------------------------------------ signing */

static xmlNodePtr ds_child(xmlNodePtr n, const char *local);

/*
 * The template: Signature/SignedInfo/Reference URI="" with the enveloped transform. xmlsec
 * knows no SM2 transform, so for sm2-sm3 the RSA template gets the algorithm URIs of alg.
 */
static xmlNodePtr add_template(xmlDocPtr doc, xmlNodePtr root, const struct cg_sig_alg *alg,
                               xmlNodePtr *ref_out)
{
    xmlSecTransformId sig_id =
        alg->md() == EVP_sha1() ? xmlSecTransformRsaSha1Id : xmlSecTransformRsaSha256Id;
    xmlSecTransformId dig_id =
        alg->md() == EVP_sha1() ? xmlSecTransformSha1Id : xmlSecTransformSha256Id;
    xmlNodePtr sig, ref;

    sig =
        xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformInclC14NId, sig_id, NULL, CG_XC("ds"));
    if (sig == NULL)
        return NULL;
    if (xmlAddChild(root, sig) == NULL) {
        xmlFreeNode(sig);
        return NULL;
    }
    ref = xmlSecTmplSignatureAddReference(sig, dig_id, NULL, CG_XC(""), NULL);
    if (ref == NULL || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
        (alg->sm2 && (xmlSetProp(ds_child(ds_child(sig, "SignedInfo"), "SignatureMethod"),
                                 CG_XC("Algorithm"), CG_XC(alg->sig_uri)) == NULL ||
                      xmlSetProp(ds_child(ref, "DigestMethod"), CG_XC("Algorithm"),
                                 CG_XC(alg->digest_uri)) == NULL))) {
        xmlUnlinkNode(sig);
        xmlFreeNode(sig);
        return NULL;
    }
    if (ref_out != NULL)
        *ref_out = ref;
    return sig;
}

static int add_keyinfo(xmlNodePtr sig, const char *key_name, const xmlChar *cert_b64)
{
    xmlNodePtr ki, kn, xd, xc;

    ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
    if (ki == NULL)
        return CG_ENOMEM;
    kn = xmlSecTmplKeyInfoAddKeyName(ki, CG_XC(key_name));
    xd = xmlSecTmplKeyInfoAddX509Data(ki);
    xc = xd != NULL ? xmlSecTmplX509DataAddCertificate(xd) : NULL;
    if (kn == NULL || xc == NULL)
        return CG_ENOMEM;
    xmlNodeAddContent(xc, CG_XC("\n"));
    xmlNodeAddContent(xc, cert_b64);
    xmlNodeAddContent(xc, CG_XC("\n"));
    return CG_OK;
}

/* The reference engine: xmlsec computes the digest and the signature into the template. */
static int sign_xmlsec(struct cg_signer *s, xmlNodePtr sig, struct cg_err *err)
{
    xmlSecDSigCtx ctx;
    char ssl[256];
    int ret;
    xmlSecDSigStatus status;

    if (xmlSecDSigCtxInitialize(&ctx, NULL) < 0)
        return CG_ERR_SET(err, CG_ENOMEM, "xmlsec signature context: out of memory");
    /* The key is borrowed for this one signature; the context must not destroy it. */
    ctx.signKey = s->key;
    ret = xmlSecDSigCtxSign(&ctx, sig);
    status = ctx.status;
    ctx.signKey = NULL;
    xmlSecDSigCtxFinalize(&ctx);
    if (ret < 0 || status != xmlSecDSigStatusSucceeded) {
        cg_ssl_error(ssl, sizeof(ssl));
        return CG_ERR_SET(err, CG_ECRYPTO, "xmlsec could not sign the document (%s)", ssl);
    }
    return add_keyinfo(sig, s->key_name, s->cert_b64) == CG_OK
               ? CG_OK
               : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
}

/* True when node (for a namespace or attribute: its element) lies inside the subtree top. */
static int within(xmlNodePtr node, xmlNodePtr parent, xmlNodePtr top)
{
    xmlNodePtr p = node;

    if (node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE)
        p = parent;
    for (; p != NULL; p = p->parent)
        if (p == top)
            return 1;
    return 0;
}

/* C14N visibility: SignedInfo and what is inside it (with namespaces inherited from above). */
static int visible_inside(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    return node != NULL && within(node, parent, user);
}

static int digest_write(void *ctx, const char *buf, int len)
{
    return EVP_DigestUpdate(ctx, buf, (size_t)len) == 1 ? len : -1;
}

static int digest_sink(void *ctx, const void *data, size_t len)
{
    return EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : -1;
}

static int buf_sink(void *ctx, const void *data, size_t len)
{
    return cg_buf_add(ctx, data, len) == CG_OK ? 0 : -1;
}

static int buf_write(void *ctx, const char *buf, int len)
{
    return cg_buf_add(ctx, buf, (size_t)len) == CG_OK ? len : -1;
}

/* C14N visibility: everything but the subtree user (what the enveloped transform leaves). */
static int visible_outside(void *user, xmlNodePtr node, xmlNodePtr parent)
{
    return node != NULL && !within(node, parent, user);
}

int cg_c14n_digest(xmlDocPtr doc, xmlNodePtr exclude, const EVP_MD *md, unsigned char *out,
                   unsigned int *out_len)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    xmlOutputBufferPtr ob = NULL;
    int ok;

    if (mctx == NULL)
        return CG_ENOMEM;
    ok = EVP_DigestInit_ex2(mctx, md, NULL) == 1;
    if (ok)
        ob = xmlOutputBufferCreateIO(digest_write, NULL, mctx, NULL);
    if (ob == NULL) {
        EVP_MD_CTX_free(mctx);
        return ok ? CG_ENOMEM : CG_ECRYPTO;
    }
    ok = xmlC14NExecute(doc, exclude != NULL ? visible_outside : NULL, exclude, XML_C14N_1_0, NULL,
                        0, ob) >= 0;
    ok = xmlOutputBufferClose(ob) >= 0 && ok;
    ok = ok && EVP_DigestFinal_ex(mctx, out, out_len) == 1;
    EVP_MD_CTX_free(mctx);
    return ok ? CG_OK : CG_ECRYPTO;
}

/*
 * Digest of what Reference URI="" with the enveloped-signature transform covers: the whole
 * document without comments, in inclusive C14N 1.0, minus the Signature element. Called before
 * the Signature is appended, so that is simply the document; no node set is needed. The bytes
 * stream into the digest from declare-c14n.c, or from xmlC14NExecute for a tree that writer
 * leaves to libxml2.
 */
static int doc_digest(struct cg_signer *s, xmlDocPtr doc, unsigned char *out, unsigned int *out_len)
{
    xmlOutputBufferPtr ob = NULL;
    unsigned sigs = 0;
    int ok, rc;

    if (EVP_DigestInit_ex2(s->mctx, s->md, NULL) != 1)
        return CG_ECRYPTO;
    rc = cg_c14n_fast_sigs((xmlNodePtr)doc, digest_sink, s->mctx, &sigs);
    if (rc == CG_OK && sigs > 0)
        return CG_EEXIST;
    if (rc == CG_OK)
        return EVP_DigestFinal_ex(s->mctx, out, out_len) == 1 ? CG_OK : CG_ECRYPTO;
    if (rc != CG_EUNSUPPORTED)
        return CG_ECRYPTO;
    if (count_sigs(xmlDocGetRootElement(doc), 0) > 0)
        return CG_EEXIST;
    if (EVP_DigestInit_ex2(s->mctx, s->md, NULL) != 1)
        return CG_ECRYPTO;
    ob = xmlOutputBufferCreateIO(digest_write, NULL, s->mctx, NULL);
    if (ob == NULL)
        return CG_ENOMEM;
    ok = xmlC14NExecute(doc, NULL, NULL, XML_C14N_1_0, NULL, 0, ob) >= 0;
    ok = xmlOutputBufferClose(ob) >= 0 && ok;
    ok = ok && EVP_DigestFinal_ex(s->mctx, out, out_len) == 1;
    return ok ? CG_OK : CG_ECRYPTO;
}

/*
 * Inclusive C14N 1.0 of SignedInfo where it stands (inside Signature, a child of root), so
 * that every namespace and xml: attribute in scope from the ancestors is in the signed bytes.
 * libxml2 walks the whole document for a subset even when the visibility callback says no, so
 * the root's other children (before and after the Signature) are hidden from it for the
 * duration: the walk then passes only the document, the root and the Signature subtree. The
 * tree is restored before returning; the document belongs to the calling thread meanwhile, as
 * it does for the whole of signing or verifying.
 */
int cg_c14n_signed_info(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr sig, xmlNodePtr si,
                        struct cg_buf *b)
{
    xmlNodePtr first = root->children, last = root->last, before = sig->prev, after = sig->next;
    xmlOutputBufferPtr ob;
    int ok;

    if (sig->parent != root || si == NULL || si->parent != sig)
        return CG_EINVAL;
    cg_buf_reset(b);
    ob = xmlOutputBufferCreateIO(buf_write, NULL, b, NULL);
    if (ob == NULL)
        return CG_ENOMEM;
    root->children = root->last = sig;
    sig->prev = sig->next = NULL;
    ok = xmlC14NExecute(doc, visible_inside, si, XML_C14N_1_0, NULL, 0, ob) >= 0;
    sig->prev = before;
    sig->next = after;
    root->children = first;
    root->last = last;
    ok = xmlOutputBufferClose(ob) >= 0 && ok;
    return ok ? CG_OK : CG_ECRYPTO;
}

/*
 * What signing puts in s->si: the canonical SignedInfo, from declare-c14n.c, or from
 * cg_c14n_signed_info (xmlC14NExecute) for a tree that writer leaves to libxml2. Verification
 * uses only the latter.
 */
static int signed_info(struct cg_signer *s, xmlDocPtr doc, xmlNodePtr root, xmlNodePtr sig)
{
    xmlNodePtr si = ds_child(sig, "SignedInfo");
    int rc;

    if (sig->parent != root || si == NULL)
        return CG_EINVAL;
    cg_buf_reset(&s->si);
    rc = cg_c14n_fast(si, buf_sink, &s->si);
    if (rc == CG_EUNSUPPORTED)
        rc = cg_c14n_signed_info(doc, root, sig, si, &s->si);
    return rc == CG_EIO ? CG_ENOMEM : rc;
}

/* Base64 as xmlsec writes DigestValue and SignatureValue: 64 columns, no surrounding breaks. */
static int set_b64(xmlNodePtr node, const unsigned char *data, size_t len)
{
    xmlChar *b64 = xmlSecBase64Encode(data, (xmlSecSize)len, 64);

    if (b64 == NULL || node == NULL) {
        xmlFree(b64);
        return CG_ENOMEM;
    }
    xmlNodeSetContent(node, b64);
    xmlFree(b64);
    return CG_OK;
}

static xmlNodePtr ds_child(xmlNodePtr n, const char *local)
{
    xmlNodePtr c;

    for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
        if (cg_is_ds(c, local))
            return c;
    return NULL;
}

static int check_remote_sig(const struct cg_signer *s, const unsigned char *data, size_t len,
                            const unsigned char *sig, size_t sig_len, X509 *cert,
                            struct cg_err *err)
{
    const struct cg_sig_alg *alg = s->alg;
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    EVP_MD_CTX *mctx = NULL;
    char ssl[256];
    int rc = CG_OK;

    if (alg->sm2) {
        if (pub == NULL || !EVP_PKEY_is_a(pub, "SM2"))
            return CG_ERR_SET(err, CG_ECRYPTO,
                              "remote signer returned a certificate without an SM2 public key "
                              "for sign_alg = sm2-sm3");
        rc =
            cg_sm2_verify(pub, s->sm2_id, data, len, sig, sig_len, "the returned certificate", err);
        if (rc != CG_OK && err != NULL) {
            err->code = CG_ECRYPTO;
            cg_err_prefix(err, "remote signer answer");
        }
        return rc != CG_OK ? CG_ECRYPTO : CG_OK;
    }
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
        rc = CG_ERR_SET(err, CG_ECRYPTO,
                        "remote signer returned a certificate without an RSA "
                        "public key%s",
                        pub != NULL && EVP_PKEY_is_a(pub, "SM2")
                            ? " (it is an SM2 certificate: set sign_alg = sm2-sm3)"
                            : "");
    } else if (EVP_DigestVerifyInit(mctx, NULL, alg->md(), NULL, pub) != 1) {
        EVP_MD_CTX_free(mctx);
        return cg_sig_probe_verify(pub, alg, err);
    } else if (EVP_DigestVerify(mctx, sig, sig_len, data, len) != 1) {
        cg_ssl_error(ssl, sizeof(ssl));
        rc = CG_ERR_SET(err, CG_ECRYPTO,
                        "remote signer returned a signature value that does "
                        "not verify with the certificate it returned (%s)",
                        ssl);
    }
    EVP_MD_CTX_free(mctx);
    return rc;
}

/*
 * SM2 over the canonical SignedInfo in s->si: SM3 of Z and the bytes, then the signature; the
 * DER value OpenSSL returns becomes the raw r||s that goes into SignatureValue. The context was
 * set up once per signer, with the identifier and Z hashed; each message continues a copy of
 * it (the same state EVP_DigestSignInit and the first update would reach, without the set-up).
 */
static int sm2_sign(struct cg_signer *s, unsigned char *rs, size_t *rs_len)
{
    unsigned char der[128];
    size_t der_len = sizeof(der);

    if (EVP_MD_CTX_copy_ex(s->wctx, s->sctx) != 1 ||
        EVP_DigestSignUpdate(s->wctx, s->si.data, s->si.len) != 1 ||
        EVP_DigestSignFinal(s->wctx, der, &der_len) != 1 || der_to_rs(der, der_len, rs) != CG_OK)
        return CG_ECRYPTO;
    *rs_len = CG_SM2_RS_LEN;
    return CG_OK;
}

/* The signature value of the canonical SignedInfo in s->si, with the local key. */
static int sign_si(struct cg_signer *s, unsigned char *sv, size_t *sv_len, struct cg_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char ssl[256];
    int rc = CG_OK;

    *sv_len = s->sig_max;
    if (s->alg->sm2)
        rc = sm2_sign(s, sv, sv_len);
    else if (EVP_DigestInit_ex2(s->mctx, s->md, NULL) != 1 ||
             EVP_DigestUpdate(s->mctx, s->si.data, s->si.len) != 1 ||
             EVP_DigestFinal_ex(s->mctx, md, &md_len) != 1 ||
             EVP_PKEY_sign(s->pctx, sv, sv_len, md, md_len) != 1)
        rc = CG_ECRYPTO;
    if (rc != CG_OK) {
        cg_ssl_error(ssl, sizeof(ssl));
        return CG_ERR_SET(err, CG_ECRYPTO, "OpenSSL could not make the %s signature (%s)",
                          s->alg->name, ssl);
    }
    return CG_OK;
}

/* Local: SignedInfo's C14N form, hashed and signed with the context set up once. */
static int sign_direct(struct cg_signer *s, xmlDocPtr doc, xmlNodePtr root, xmlNodePtr sig,
                       struct cg_err *err)
{
    unsigned char sv[CG_SIG_MAX];
    size_t sv_len = 0;
    int rc;

    rc = signed_info(s, doc, root, sig);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "cannot canonicalize SignedInfo");
    rc = sign_si(s, sv, &sv_len, err);
    if (rc != CG_OK)
        return rc;
    if (set_b64(ds_child(sig, "SignatureValue"), sv, sv_len) != CG_OK ||
        add_keyinfo(sig, s->key_name, s->cert_b64) != CG_OK)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return CG_OK;
}

static int sign_remote(struct cg_signer *s, xmlDocPtr doc, xmlNodePtr root, xmlNodePtr sig,
                       struct cg_err *err)
{
    unsigned char *sv = NULL, *der = NULL;
    size_t sv_len = 0, der_len = 0;
    char *kn = NULL;
    xmlChar *b64 = NULL;
    X509 *cert = NULL;
    const unsigned char *p;
    const char *key_name;
    int rc;

    rc = signed_info(s, doc, root, sig);
    if (rc != CG_OK) {
        rc = CG_ERR_SET(err, rc, "cannot canonicalize SignedInfo");
        goto done;
    }
    rc =
        cg_remote_sign(s->remote, s->alg, s->key_name, s->sm2_id, (const unsigned char *)s->si.data,
                       s->si.len, &sv, &sv_len, &der, &der_len, &kn, err);
    if (rc != CG_OK)
        goto done;
    p = der;
    cert = d2i_X509(NULL, &p, (long)der_len);
    if (cert == NULL || p != der + der_len) {
        ERR_clear_error();
        rc = CG_ERR_SET(err, CG_ECRYPTO,
                        "remote signer returned something that is not an "
                        "X.509 certificate");
        goto done;
    }
    rc = check_remote_sig(s, (const unsigned char *)s->si.data, s->si.len, sv, sv_len, cert, err);
    if (rc != CG_OK)
        goto done;
    key_name = s->key_name != NULL ? s->key_name : kn;
    if (key_name == NULL || key_name[0] == '\0') {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "no key_name configured and the remote signer sent "
                        "none: ds:KeyName needs the certificate number");
        goto done;
    }
    b64 = xmlSecBase64Encode(sv, (xmlSecSize)sv_len, 64);
    if (b64 == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    xmlNodeSetContent(ds_child(sig, "SignatureValue"), CG_XC("\n"));
    xmlNodeAddContent(ds_child(sig, "SignatureValue"), b64);
    xmlNodeAddContent(ds_child(sig, "SignatureValue"), CG_XC("\n"));
    xmlFree(b64);
    b64 = xmlSecBase64Encode(der, (xmlSecSize)der_len, CERT_B64_COLUMNS);
    if (b64 == NULL || add_keyinfo(sig, key_name, b64) != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
done:
    xmlFree(b64);
    X509_free(cert);
    free(sv);
    free(der);
    free(kn);
    return rc;
}

int cg_signer_sign(struct cg_signer *s, xmlDocPtr doc, struct cg_err *err)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr sig = NULL, ref = NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int direct = s->kind == SIGNER_REMOTE || s->key == NULL;
    int rc;

    if (root == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "cannot sign a document without a root element");
    /* The direct path learns of a ds:Signature below the root from its C14N walk. */
    if (cg_is_ds(root, "Signature") || (!direct && count_sigs(root, 0) > 0))
        return CG_ERR_SET(err, CG_EEXIST, "the document already carries a ds:Signature");
    if (direct) {
        rc = doc_digest(s, doc, md, &md_len);
        if (rc == CG_EEXIST)
            return CG_ERR_SET(err, CG_EEXIST, "the document already carries a ds:Signature");
        if (rc != CG_OK)
            return CG_ERR_SET(err, rc, "cannot canonicalize and digest the document");
    }
    sig = add_template(doc, root, s->alg, &ref);
    if (sig == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "cannot build the signature template");
    if (!direct)
        rc = sign_xmlsec(s, sig, err);
    else if (set_b64(ds_child(ref, "DigestValue"), md, md_len) != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else if (s->kind == SIGNER_LOCAL)
        rc = sign_direct(s, doc, root, sig, err);
    else
        rc = sign_remote(s, doc, root, sig, err);
    if (rc != CG_OK) {
        xmlUnlinkNode(sig);
        xmlFreeNode(sig);
    }
    return rc;
}

/* ------------------------------------------------------------ signing the bytes */

/* Whether s signs with a local key on the direct path and its KeyName needs no escape. */
static int bytes_ok(const struct cg_signer *s)
{
    const char *p;

    if (s->kind != SIGNER_LOCAL || s->key != NULL || s->pctx == NULL || s->key_name == NULL ||
        s->cert_b64 == NULL)
        return 0;
    for (p = s->key_name; *p != '\0'; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '&' || *p == '<' || *p == '>')
            return 0;
    return 1;
}

/*
 * The ds:SignedInfo of the template cg_signer_sign appends, with DigestValue b64: canonical
 * (ns: the declarations C14N renders on it; empty elements as start and end tags) when ns is
 * not NULL, as cg_xml_serialize writes it otherwise. The line breaks are the template's.
 */
static int put_signed_info(struct cg_buf *b, const struct cg_sig_alg *alg, const char *ns,
                           const char *b64)
{
    const char *end = ns != NULL ? "></ds:CanonicalizationMethod>" : "/>";

    return cg_buf_addf(b,
                       "<ds:SignedInfo%s>\n"
                       "<ds:CanonicalizationMethod Algorithm=\"" CG_URI_C14N "\"%s\n"
                       "<ds:SignatureMethod Algorithm=\"%s\"%s\n"
                       "<ds:Reference URI=\"\">\n"
                       "<ds:Transforms>\n"
                       "<ds:Transform Algorithm=\"" CG_URI_ENVELOPED "\"%s\n"
                       "</ds:Transforms>\n"
                       "<ds:DigestMethod Algorithm=\"%s\"%s\n"
                       "<ds:DigestValue>%s</ds:DigestValue>\n"
                       "</ds:Reference>\n"
                       "</ds:SignedInfo>",
                       ns != NULL ? ns : "", end, alg->sig_uri,
                       ns != NULL ? "></ds:SignatureMethod>" : "/>",
                       ns != NULL ? "></ds:Transform>" : "/>", alg->digest_uri,
                       ns != NULL ? "></ds:DigestMethod>" : "/>", b64);
}

/*
 * The direct path on the bytes: the document's digest from cg_c14n_bytes (SAX2, no tree), the
 * SignedInfo written in canonical form, and the output the input with the ds:Signature that
 * cg_signer_sign + cg_xml_serialize would write inserted before the root's end tag.
 * CG_EUNSUPPORTED, with nothing in out, when the bytes are left to the tree.
 */
static int sign_bytes(struct cg_signer *s, const char *in, size_t len, struct cg_buf *out,
                      struct cg_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE], sv[CG_SIG_MAX];
    unsigned int md_len = 0;
    size_t sv_len = 0;
    struct cg_buf ns;
    struct cg_c14n_env env;
    xmlChar *dv = NULL, *svb = NULL;
    int rc;

    if (!bytes_ok(s))
        return CG_EUNSUPPORTED;
    cg_buf_init(&ns, SIGNED_INFO_MAX);
    env.apex_ns = &ns;
    env.root_end = 0;
    if (EVP_DigestInit_ex2(s->mctx, s->md, NULL) != 1) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "cannot digest the document");
        goto done;
    }
    rc = cg_c14n_bytes(in, len, digest_sink, s->mctx, &env);
    if (rc == CG_EUNSUPPORTED)
        goto done;
    if (rc == CG_OK && EVP_DigestFinal_ex(s->mctx, md, &md_len) != 1)
        rc = CG_ECRYPTO;
    if (rc != CG_OK) {
        rc = CG_ERR_SET(err, rc == CG_ENOMEM ? CG_ENOMEM : CG_ECRYPTO,
                        "cannot canonicalize and digest the document");
        goto done;
    }
    dv = xmlSecBase64Encode(md, md_len, 64);
    cg_buf_reset(&s->si);
    if (dv == NULL || put_signed_info(&s->si, s->alg, cg_buf_str(&ns), (const char *)dv) != CG_OK) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = sign_si(s, sv, &sv_len, err);
    if (rc != CG_OK)
        goto done;
    svb = xmlSecBase64Encode(sv, (xmlSecSize)sv_len, 64);
    if (svb == NULL || cg_buf_add(out, in, env.root_end) != CG_OK ||
        cg_buf_adds(out, "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\n") !=
            CG_OK ||
        put_signed_info(out, s->alg, NULL, (const char *)dv) != CG_OK ||
        cg_buf_addf(out,
                    "\n<ds:SignatureValue>%s</ds:SignatureValue>\n<ds:KeyInfo>\n"
                    "<ds:KeyName>%s</ds:KeyName>\n<ds:X509Data>\n<ds:X509Certificate>\n%s\n"
                    "</ds:X509Certificate>\n</ds:X509Data>\n</ds:KeyInfo>\n</ds:Signature>",
                    (const char *)svb, s->key_name, (const char *)s->cert_b64) != CG_OK ||
        cg_buf_add(out, in + env.root_end, len - env.root_end) != CG_OK)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
done:
    xmlFree(dv);
    xmlFree(svb);
    cg_buf_free(&ns);
    return rc;
}

int cg_sign_xml(struct cg_signer *s, const char *in, size_t len, const char *name, int replace,
                char **out, size_t *out_len, int *removed, struct cg_err *err)
{
    struct cg_buf b;
    xmlDocPtr doc = NULL;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (removed != NULL)
        *removed = 0;
    cg_buf_init(&b, (size_t)INT32_MAX);
    rc = sign_bytes(s, in, len, &b, err);
    if (rc == CG_OK) {
        *out_len = b.len;
        *out = cg_buf_take(&b);
        return *out != NULL ? CG_OK : CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    }
    cg_buf_free(&b);
    if (rc != CG_EUNSUPPORTED)
        return rc;
    rc = cg_xml_parse(in, len, name, &doc, err);
    if (rc != CG_OK)
        return rc;
    if (replace) {
        rc = cg_sig_strip(doc);
        if (removed != NULL)
            *removed = rc;
    }
    rc = cg_signer_sign(s, doc, err);
    if (rc == CG_OK)
        rc = cg_xml_serialize(doc, out, out_len, err);
    xmlFreeDoc(doc);
    return rc;
}
