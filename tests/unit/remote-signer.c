/*
 * remote-signer.c - test implementation of the remote signing protocol
 * (docs/remote-signer.md) on libmicrohttpd: POST JSON {"version":1,"algorithm":..,"data":..},
 * answer {"signature_value":..,"certificate":..,"key_name":..}. It checks the bearer token, the
 * protocol version, the algorithm and that data is a canonical ds:SignedInfo, signs with
 * OpenSSL (rsa-sha1, rsa-sha256; sm2-sm3 with the request's sm2_id, answered as r||s) and can
 * be told to fail (fixed HTTP status), to return a corrupted signature or a DER SM2 one.
 */
#include "config.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/base64.h>

#include "core/buf.h"
#include "core/err.h"
#include "tests/unit/remote-signer.h"

struct rs_server {
    struct MHD_Daemon *d;
    struct rs_opts o;
    EVP_PKEY *key;
    xmlChar *cert_b64;
    char *tls_cert;
    char *tls_key;
    unsigned requests;
};

struct req {
    struct cg_buf body;
};

static char *slurp(const char *path)
{
    struct cg_buf b;
    char chunk[4096];
    size_t n;
    FILE *fp = fopen(path, "rb");

    if (fp == NULL)
        return NULL;
    cg_buf_init(&b, 1024 * 1024);
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        cg_buf_add(&b, chunk, n);
    fclose(fp);
    return cg_buf_take(&b);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    struct MHD_Response *r;
    enum MHD_Result ret;

    json_decref(j);
    if (text == NULL)
        return MHD_NO;
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned status, const char *why)
{
    return reply(c, status, json_pack("{s:s}", "error", why));
}

/* The DER ECDSA-Sig-Value in sig as the 64-byte r||s of the protocol, in place. */
static int sm2_raw(unsigned char *sig, size_t *sig_len)
{
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*sig_len);
    unsigned char rs[64];
    int ok = es != NULL && BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32) == 32 &&
             BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32) == 32;

    ECDSA_SIG_free(es);
    if (ok) {
        memcpy(sig, rs, sizeof(rs));
        *sig_len = sizeof(rs);
    }
    return ok;
}

static enum MHD_Result handle(struct rs_server *s, struct MHD_Connection *c, struct req *rq)
{
    json_t *j = NULL;
    const char *alg, *data, *auth, *id;
    const EVP_MD *md;
    EVP_PKEY_CTX *pctx = NULL;
    int sm2;
    unsigned char *bytes = NULL;
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    xmlSecSize n = 0;
    xmlChar *sig_b64 = NULL;
    EVP_MD_CTX *mctx = NULL;
    char want[512];
    enum MHD_Result ret;

    s->requests++;
    if (s->o.fail_status != 0)
        return fail(c, (unsigned)s->o.fail_status, "told to fail");
    if (s->o.token != NULL) {
        auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        snprintf(want, sizeof(want), "Bearer %s", s->o.token);
        if (auth == NULL || strcmp(auth, want) != 0)
            return fail(c, 401, "bad or missing bearer token");
    }
    j = json_loadb(rq->body.data != NULL ? rq->body.data : "", rq->body.len, 0, NULL);
    alg = json_string_value(json_object_get(j, "algorithm"));
    data = json_string_value(json_object_get(j, "data"));
    if (j == NULL || json_integer_value(json_object_get(j, "version")) != 1 || alg == NULL ||
        data == NULL) {
        json_decref(j);
        return fail(c, 400, "expected {version:1, algorithm, data}");
    }
    sm2 = strcmp(alg, "sm2-sm3") == 0;
    id = json_string_value(json_object_get(j, "sm2_id"));
    md = sm2                              ? EVP_sm3()
         : strcmp(alg, "rsa-sha1") == 0   ? EVP_sha1()
         : strcmp(alg, "rsa-sha256") == 0 ? EVP_sha256()
                                          : NULL;
    bytes = malloc(strlen(data) + 1);
    if (md == NULL || bytes == NULL ||
        xmlSecBase64Decode_ex((const xmlChar *)data, bytes, (xmlSecSize)strlen(data) + 1, &n) < 0 ||
        n < 14 || memcmp(bytes, "<ds:SignedInfo", 14) != 0) {
        ret = fail(c, 400, "unknown algorithm or data is not a canonical ds:SignedInfo");
        goto done;
    }
    if (sm2 && id == NULL) {
        ret = fail(c, 400, "sm2-sm3 without sm2_id");
        goto done;
    }
    if (sm2 != EVP_PKEY_is_a(s->key, "SM2")) {
        ret = fail(c, 400,
                   sm2 ? "sm2-sm3 needs an SM2 key; this one is RSA"
                       : "this key is SM2: ask for sm2-sm3");
        goto done;
    }
    mctx = EVP_MD_CTX_new();
    if (mctx != NULL && sm2) {
        pctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL);
        if (pctx != NULL && EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)) == 1)
            EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
    }
    if (mctx == NULL || (sm2 && pctx == NULL) ||
        EVP_DigestSignInit(mctx, NULL, md, NULL, s->key) != 1 ||
        EVP_DigestSign(mctx, sig, &sig_len, bytes, n) != 1 ||
        (sm2 && !s->o.sm2_der && !sm2_raw(sig, &sig_len))) {
        ret = fail(c, 500, "signing failed");
        goto done;
    }
    if (s->o.corrupt)
        sig[sig_len / 2] ^= 0x01;
    sig_b64 = xmlSecBase64Encode(sig, (xmlSecSize)sig_len, 0);
    ret = reply(c, 200,
                json_pack("{s:s,s:s,s:s?}", "signature_value", (const char *)sig_b64, "certificate",
                          (const char *)s->cert_b64, "key_name", s->o.key_name));
done:
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_CTX_free(pctx);
    xmlFree(sig_b64);
    free(bytes);
    json_decref(j);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct rs_server *s = cls;
    struct req *rq = *con_cls;

    if (rq == NULL) {
        rq = calloc(1, sizeof(*rq));
        if (rq == NULL)
            return MHD_NO;
        cg_buf_init(&rq->body, 64 * 1024);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (cg_buf_add(&rq->body, upload_data, *upload_data_size) != CG_OK)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0)
        return fail(c, 405, "POST only");
    return handle(s, c, rq);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;

    if (rq != NULL) {
        cg_buf_free(&rq->body);
        free(rq);
    }
    *con_cls = NULL;
}

/* libmicrohttpd's messages: on stderr for the standalone server, dropped in the unit tests,
 * which provoke refused handshakes on purpose and assert the client's side of them. */
static void on_mhd_log(void *ctx, const char *fmt, va_list ap)
{
    const struct rs_server *s = ctx;

    if (s->o.log_errors)
        vfprintf(stderr, fmt, ap);
}

struct rs_server *rs_start(const struct rs_opts *o, unsigned *port)
{
    struct rs_server *s = calloc(1, sizeof(*s));
    FILE *fp = NULL;
    X509 *x = NULL;
    unsigned char *der = NULL;
    int der_len;
    const union MHD_DaemonInfo *info;
    struct sockaddr_in sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    if (s == NULL)
        return NULL;
    s->o = *o;
    fp = fopen(o->key_file, "r");
    s->key = fp != NULL ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) : NULL;
    if (fp != NULL)
        fclose(fp);
    fp = fopen(o->cert_file, "r");
    x = fp != NULL ? PEM_read_X509(fp, NULL, NULL, NULL) : NULL;
    if (fp != NULL)
        fclose(fp);
    if (s->key == NULL || x == NULL || (der_len = i2d_X509(x, &der)) <= 0)
        goto fail;
    s->cert_b64 = xmlSecBase64Encode(der, (xmlSecSize)der_len, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (o->tls_cert != NULL) {
        s->tls_cert = slurp(o->tls_cert);
        s->tls_key = slurp(o->tls_key);
        if (s->tls_cert == NULL || s->tls_key == NULL)
            goto fail;
        s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, s,
                                MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
                                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_HTTPS_MEM_KEY,
                                s->tls_key, MHD_OPTION_HTTPS_MEM_CERT, s->tls_cert, MHD_OPTION_END);
    } else {
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_EXTERNAL_LOGGER,
                                on_mhd_log, s, MHD_OPTION_END);
    }
    if (s->d == NULL)
        goto fail;
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0)
        goto fail;
    *port = info->port;
    OPENSSL_free(der);
    X509_free(x);
    return s;
fail:
    OPENSSL_free(der);
    X509_free(x);
    rs_stop(s);
    return NULL;
}

void rs_stop(struct rs_server *s)
{
    if (s == NULL)
        return;
    if (s->d != NULL)
        MHD_stop_daemon(s->d);
    EVP_PKEY_free(s->key);
    xmlFree(s->cert_b64);
    free(s->tls_cert);
    free(s->tls_key);
    free(s);
}

unsigned rs_requests(const struct rs_server *s)
{
    return s->requests;
}
