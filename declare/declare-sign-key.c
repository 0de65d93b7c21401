/*
 * declare-sign-key.c - loading the signing key and its certificate, and the passphrase.
 *
 * The key is an RSA or SM2 private key: PEM (encrypted or not) with its certificate in
 * cert_file or in the same PEM file, or a PKCS#12 bundle holding both. The passphrase comes from a
 * file (first line) or an environment variable, never from the configuration text or the command
 * line; it is wiped from memory after use and never written into an error message. Failures say
 * which file and what is wrong with it: unreadable, not a key, needs a passphrase, wrong
 * passphrase, certificate not matching the key. Owner: the signing part of declare/.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "core/buf.h"
#include "declare/declare-sign-int.h"

/* Key files and bundles are small; anything bigger is not one. */
#define KEY_FILE_MAX (1024u * 1024u)

int cg_sign_read_pass(const struct cg_signer_opts *o, char *pass, size_t size, int *have,
                      struct cg_err *err)
{
    FILE *fp = NULL;
    const char *v;
    size_t n;
    int rc = CG_OK;

    *have = 0;
    pass[0] = '\0';
    if (o->pass_file != NULL && o->pass_env != NULL)
        return CG_ERR_SET(err, CG_ECONFIG,
                          "set either key_pass_file or key_pass_env for the signing key, not "
                          "both");
    if (o->pass_env != NULL) {
        v = getenv(o->pass_env);
        if (v == NULL)
            return CG_ERR_SET(err, CG_ECONFIG,
                              "environment variable %s (key_pass_env) is not set: it must hold "
                              "the passphrase of the signing key",
                              o->pass_env);
        if (strlen(v) >= size)
            return CG_ERR_SET(err, CG_ECONFIG, "passphrase in %s is longer than %zu bytes",
                              o->pass_env, size - 1);
        cg_strlcpy(pass, v, size);
        *have = 1;
        return CG_OK;
    }
    if (o->pass_file == NULL)
        return CG_OK;
    fp = fopen(o->pass_file, "re");
    if (fp == NULL)
        return CG_ERR_SET(err, cg_rc_of_open_errno(errno, CG_ECONFIG), "passphrase file %s: %s",
                          o->pass_file, strerror(errno));
    if (fgets(pass, (int)size, fp) == NULL) {
        if (ferror(fp))
            rc = CG_ERR_SET(err, CG_EIO, "passphrase file %s: read error", o->pass_file);
        pass[0] = '\0'; /* an empty file is an empty passphrase */
    }
    if (rc == CG_OK) {
        n = strlen(pass);
        if (n == size - 1 && pass[n - 1] != '\n') {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "passphrase file %s: first line longer than %zu "
                            "bytes",
                            o->pass_file, size - 2);
        } else {
            while (n > 0 && (pass[n - 1] == '\n' || pass[n - 1] == '\r'))
                pass[--n] = '\0';
            *have = 1;
        }
    }
    if (rc != CG_OK)
        OPENSSL_cleanse(pass, size);
    fclose(fp);
    return rc;
}

struct pem_pass {
    const char *pass;
    int asked;
};

/* Never prompts: without a configured passphrase an encrypted key simply fails to load. */
static int pem_cb(char *buf, int size, int rwflag, void *u)
{
    struct pem_pass *pp = u;
    size_t n;

    pp->asked = 1;
    if (pp->pass == NULL)
        return -1;
    n = strlen(pp->pass);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, pp->pass, n);
    return (int)n;
}

static int read_file(const char *path, const char *what, struct cg_buf *b, struct cg_err *err)
{
    FILE *fp;
    char chunk[4096];
    size_t n;
    int rc = CG_OK;

    /* Plain fopen: key files are operator-configured paths and may be symlinks (secrets
     * mounted by a container runtime are). */
    fp = fopen(path, "rbe");
    if (fp == NULL)
        return CG_ERR_SET(err, cg_rc_of_open_errno(errno, CG_ECRYPTO), "%s %s: %s", what, path,
                          strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (cg_buf_add(b, chunk, n) != CG_OK) {
            rc = CG_ERR_SET(err, CG_ECRYPTO, "%s %s: larger than %u bytes, not a key file", what,
                            path, KEY_FILE_MAX);
            break;
        }
    }
    if (rc == CG_OK && ferror(fp))
        rc = CG_ERR_SET(err, CG_EIO, "%s %s: read error", what, path);
    fclose(fp);
    return rc;
}

static X509 *read_cert_any(const struct cg_buf *b)
{
    BIO *bio = BIO_new_mem_buf(b->data != NULL ? b->data : "", (int)b->len);
    X509 *x = NULL;

    if (bio == NULL)
        return NULL;
    if (strstr(cg_buf_str(b), "-----BEGIN") != NULL)
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    else
        x = d2i_X509_bio(bio, NULL);
    BIO_free(bio);
    return x;
}

static int load_pem(const char *path, const struct cg_buf *b, const char *pass, EVP_PKEY **pkey,
                    X509 **cert, struct cg_err *err)
{
    struct pem_pass pp = {pass, 0};
    char ssl[256];
    BIO *bio = NULL;
    int rc = CG_OK;

    bio = BIO_new_mem_buf(b->data, (int)b->len);
    if (bio == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    *pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_cb, &pp);
    if (*pkey == NULL) {
        cg_ssl_error(ssl, sizeof(ssl));
        if (strstr(cg_buf_str(b), "ENCRYPTED") != NULL && pass == NULL)
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "key file %s is encrypted but no passphrase is configured "
                            "(key_pass_file or key_pass_env)",
                            path);
        else if (strstr(cg_buf_str(b), "ENCRYPTED") != NULL)
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "key file %s: wrong passphrase (the key cannot be decrypted: %s)", path,
                            ssl);
        else
            rc = CG_ERR_SET(err, CG_ECRYPTO, "key file %s: no usable private key in it (%s)", path,
                            ssl);
        goto done;
    }
    /* A certificate in the same PEM file, if any (cert_file, when set, wins later). */
    if (cert != NULL) {
        BIO_free(bio);
        bio = BIO_new_mem_buf(b->data, (int)b->len);
        if (bio != NULL && strstr(cg_buf_str(b), "CERTIFICATE-----") != NULL)
            *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        ERR_clear_error();
    }
done:
    BIO_free(bio);
    return rc;
}

static int load_p12(const char *path, const struct cg_buf *b, const char *pass, EVP_PKEY **pkey,
                    X509 **cert, struct cg_err *err)
{
    STACK_OF(X509) *ca = NULL;
    PKCS12 *p12 = NULL;
    const char *pw = pass;
    char ssl[256];
    BIO *bio = NULL;
    int rc = CG_OK;

    bio = BIO_new_mem_buf(b->data, (int)b->len);
    if (bio == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    p12 = d2i_PKCS12_bio(bio, NULL);
    if (p12 == NULL) {
        cg_ssl_error(ssl, sizeof(ssl));
        rc = CG_ERR_SET(err, CG_ECRYPTO,
                        "key file %s is neither a PEM private key nor a PKCS#12 bundle (%s)", path,
                        ssl);
        goto done;
    }
    if (pass == NULL) {
        /* No passphrase configured: an unprotected bundle uses "" or none at all. */
        if (PKCS12_verify_mac(p12, "", 0))
            pw = "";
        else if (PKCS12_verify_mac(p12, NULL, 0))
            pw = NULL;
        else {
            ERR_clear_error();
            rc = CG_ERR_SET(err, CG_ECRYPTO,
                            "PKCS#12 file %s is protected but no passphrase is configured "
                            "(key_pass_file or key_pass_env)",
                            path);
            goto done;
        }
    } else if (!PKCS12_verify_mac(p12, pass, -1)) {
        ERR_clear_error();
        rc = CG_ERR_SET(err, CG_ECRYPTO, "PKCS#12 file %s: wrong passphrase (MAC check failed)",
                        path);
        goto done;
    }
    if (!PKCS12_parse(p12, pw, pkey, cert, &ca) || *pkey == NULL) {
        cg_ssl_error(ssl, sizeof(ssl));
        rc = CG_ERR_SET(err, CG_ECRYPTO,
                        "PKCS#12 file %s: cannot read the key (%s); bundles made with old "
                        "algorithms (RC2, 3DES) need OpenSSL's legacy provider: convert it with "
                        "openssl pkcs12 -legacy",
                        path, ssl);
        goto done;
    }
done:
    sk_X509_pop_free(ca, X509_free);
    PKCS12_free(p12);
    BIO_free(bio);
    return rc;
}

int cg_sign_load_key(const char *key_file, const char *cert_file, const char *pass, EVP_PKEY **pkey,
                     X509 **cert, struct cg_err *err)
{
    struct cg_buf kb, cb;
    EVP_PKEY *k = NULL;
    X509 *x = NULL;
    X509 *xf = NULL;
    char ssl[256];
    int rc;

    cg_buf_init(&kb, KEY_FILE_MAX);
    cg_buf_init(&cb, KEY_FILE_MAX);
    if (key_file == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "no signing key configured (key_file)");
        goto done;
    }
    rc = read_file(key_file, "key file", &kb, err);
    if (rc != CG_OK)
        goto done;
    if (strstr(cg_buf_str(&kb), "-----BEGIN") != NULL && kb.len == strlen(cg_buf_str(&kb)))
        rc = load_pem(key_file, &kb, pass, &k, &x, err);
    else
        rc = load_p12(key_file, &kb, pass, &k, &x, err);
    if (rc != CG_OK)
        goto done;
    if (cert_file != NULL) {
        rc = read_file(cert_file, "certificate file", &cb, err);
        if (rc != CG_OK)
            goto done;
        xf = read_cert_any(&cb);
        if (xf == NULL) {
            cg_ssl_error(ssl, sizeof(ssl));
            rc = CG_ERR_SET(err, CG_ECRYPTO, "certificate file %s: no certificate in it (%s)",
                            cert_file, ssl);
            goto done;
        }
        X509_free(x);
        x = xf;
        xf = NULL;
    }
    if (x == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "key file %s holds no certificate: set cert_file to the signing "
                        "certificate (it goes into ds:X509Certificate)",
                        key_file);
        goto done;
    }
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA && !EVP_PKEY_is_a(k, "SM2")) {
        rc = CG_ERR_SET(err, CG_EUNSUPPORTED,
                        "key file %s: only RSA keys (rsa-sha1) and SM2 keys (sm2-sm3) are "
                        "supported; an EC key must be on the SM2 curve",
                        key_file);
        goto done;
    }
    if (X509_check_private_key(x, k) != 1) {
        ERR_clear_error();
        rc = CG_ERR_SET(err, CG_ECRYPTO, "the certificate%s%s does not belong to key file %s",
                        cert_file != NULL ? " in " : "", cert_file != NULL ? cert_file : "",
                        key_file);
        goto done;
    }
    rc = cg_sign_cert_check(x, err);
    if (rc != CG_OK) {
        cg_err_prefix(err, "key file %s", key_file);
        goto done;
    }
    *pkey = k;
    *cert = x;
    k = NULL;
    x = NULL;
done:
    if (kb.data != NULL)
        OPENSSL_cleanse(kb.data, kb.len);
    cg_buf_free(&kb);
    cg_buf_free(&cb);
    EVP_PKEY_free(k);
    X509_free(x);
    X509_free(xf);
    return rc;
}
