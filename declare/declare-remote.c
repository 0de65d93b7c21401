/*
 * declare-remote.c - client of a remote signing service (docs/remote-signer.md).
 *
 * One POST per signature: JSON {"version":1,"algorithm":..,"signature_method":..,"key_name":..,
 * "sm2_id" (sm2-sm3 only), "data": base64 of the canonical SignedInfo}; the answer carries
 * "signature_value" (RSA: the PKCS#1 value; SM2: the raw 64-byte r||s) and "certificate"
 * (base64 DER). The curl handle lives as long as the signer, so the connection is kept alive
 * between messages. The connection follows the one client policy of core/http-client.h
 * (TLS 1.2 or newer, peer and host verification always on, remote_ca adds a CA file, only http
 * and https, no redirects, every option checked); the answer is bounded in size. The bearer
 * token is sent in a header and never logged.
 * cg_remote_clone gives another thread its own handle with the same settings (the headers,
 * token included, are copied; each copy is wiped when freed).
 * Failures: CG_ERETRY for what may pass later (connection, timeout, 5xx, 429), CG_ECRYPTO for
 * a refusal (other 4xx) or a malformed answer. Owner: the signing part of declare/.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <xmlsec/base64.h>

#include "core/buf.h"
#include "core/http-client.h"
#include "core/log.h"
#include "declare/declare-sign-int.h"

/* An answer carries a signature and a certificate: a few KiB. */
#define ANSWER_MAX (256u * 1024u)
#define REMOTE_CONNECT_TIMEOUT_MS 10000L
#define REMOTE_TIMEOUT_MS 30000L

struct cg_remote {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char *ca; /* remote_ca, or NULL */
    char errbuf[CURL_ERROR_SIZE];
    struct cg_buf answer;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct cg_buf *b = ctx;

    if (cg_buf_add(b, p, size * n) != CG_OK)
        return 0; /* aborts the transfer: answer too large */
    return size * n;
}

/* The curl handle of r, from r's settings (url, ca, headers), under the one client policy. */
static int setup_curl(struct cg_remote *r, struct cg_err *err)
{
    struct cg_http_client_opts o;
    int rc;

    cg_buf_init(&r->answer, ANSWER_MAX);
    r->curl = curl_easy_init();
    if (r->curl == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    memset(&o, 0, sizeof(o));
    o.ca_file = r->ca;
    o.connect_timeout_ms = REMOTE_CONNECT_TIMEOUT_MS;
    o.timeout_ms = REMOTE_TIMEOUT_MS;
    rc = cg_http_client_setup(r->curl, &o, r->errbuf, err);
    if (rc != CG_OK)
        return rc;
    if (curl_easy_setopt(r->curl, CURLOPT_URL, r->url) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, r->headers) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &r->answer) != CURLE_OK)
        return CG_ERR_SET(err, CG_EUNSUPPORTED,
                          "remote signer %s: libcurl refused the URL, headers or callbacks",
                          r->url);
    return CG_OK;
}

int cg_remote_new(const struct cg_signer_opts *o, struct cg_remote **out, struct cg_err *err)
{
    struct cg_remote *r = NULL;
    struct cg_buf auth;
    int rc = CG_OK;

    cg_buf_init(&auth, 8192);
    if (o->remote_url == NULL || o->remote_url[0] == '\0')
        return CG_ERR_SET(err, CG_ECONFIG, "signer = remote needs remote_url");
    if (strncmp(o->remote_url, "https://", 8) != 0 && strncmp(o->remote_url, "http://", 7) != 0)
        return CG_ERR_SET(err, CG_ECONFIG, "remote_url %s: only http:// and https:// URLs",
                          o->remote_url);
    if (strncmp(o->remote_url, "http://", 7) == 0)
        cg_info("remote signer %s is plain HTTP: use https unless it is on this host",
                o->remote_url);
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    r->url = strdup(o->remote_url);
    if (r->url == NULL || (o->remote_ca != NULL && (r->ca = strdup(o->remote_ca)) == NULL)) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (r->headers != NULL)
        r->headers = curl_slist_append(r->headers, "Accept: application/json");
    if (o->remote_token != NULL && o->remote_token[0] != '\0' && r->headers != NULL) {
        if (strpbrk(o->remote_token, "\r\n") != NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "remote_token must be one line");
            goto done;
        }
        if (cg_buf_addf(&auth, "Authorization: Bearer %s", o->remote_token) != CG_OK) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "remote_token is too long");
            goto done;
        }
        r->headers = curl_slist_append(r->headers, cg_buf_str(&auth));
    }
    if (r->headers == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    rc = setup_curl(r, err);
done:
    if (auth.data != NULL)
        OPENSSL_cleanse(auth.data, auth.len);
    cg_buf_free(&auth);
    if (rc != CG_OK) {
        cg_remote_free(r);
        return rc;
    }
    *out = r;
    return CG_OK;
}

int cg_remote_clone(const struct cg_remote *r, struct cg_remote **out, struct cg_err *err)
{
    struct cg_remote *c = NULL;
    const struct curl_slist *h;
    struct curl_slist *nh;
    int rc = CG_OK;

    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    c->url = strdup(r->url);
    if (c->url == NULL || (r->ca != NULL && (c->ca = strdup(r->ca)) == NULL)) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    for (h = r->headers; h != NULL; h = h->next) {
        nh = curl_slist_append(c->headers, h->data);
        if (nh == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        c->headers = nh;
    }
    rc = setup_curl(c, err);
done:
    if (rc != CG_OK) {
        cg_remote_free(c);
        return rc;
    }
    *out = c;
    return CG_OK;
}

void cg_remote_free(struct cg_remote *r)
{
    struct curl_slist *h;

    if (r == NULL)
        return;
    if (r->curl != NULL)
        curl_easy_cleanup(r->curl);
    for (h = r->headers; h != NULL; h = h->next) /* the token is in here */
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(r->headers);
    cg_buf_free(&r->answer);
    free(r->url);
    free(r->ca);
    free(r);
}

/* Decode a base64 JSON string member into a new buffer. */
static int b64_member(json_t *obj, const char *name, unsigned char **out, size_t *out_len,
                      struct cg_err *err)
{
    const char *v = json_string_value(json_object_get(obj, name));
    xmlSecSize n = 0;
    unsigned char *p;
    size_t len;

    if (v == NULL || v[0] == '\0')
        return CG_ERR_SET(err, CG_ECRYPTO, "remote signer answer has no \"%s\" string", name);
    len = strlen(v);
    p = malloc(len + 1);
    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (xmlSecBase64Decode_ex(CG_XC(v), p, (xmlSecSize)len + 1, &n) < 0 || n == 0) {
        free(p);
        return CG_ERR_SET(err, CG_ECRYPTO, "remote signer answer: \"%s\" is not base64", name);
    }
    *out = p;
    *out_len = n;
    return CG_OK;
}

int cg_remote_sign(struct cg_remote *r, const struct cg_sig_alg *alg, const char *key_name,
                   const char *sm2_id, const unsigned char *data, size_t len, unsigned char **sig,
                   size_t *sig_len, unsigned char **cert, size_t *cert_len, char **key_name_out,
                   struct cg_err *err)
{
    json_t *req = NULL, *ans = NULL;
    json_error_t jerr;
    xmlChar *b64 = NULL;
    char *body = NULL;
    const char *msg, *kn;
    unsigned char *s = NULL, *c = NULL;
    size_t s_len = 0, c_len = 0;
    char *k = NULL;
    long status = 0;
    CURLcode cc;
    int rc = CG_OK;

    b64 = xmlSecBase64Encode(data, (xmlSecSize)len, 0);
    req = json_object();
    if (b64 == NULL || req == NULL || json_object_set_new(req, "version", json_integer(1)) != 0 ||
        json_object_set_new(req, "algorithm", json_string(alg->name)) != 0 ||
        json_object_set_new(req, "signature_method", json_string(alg->sig_uri)) != 0 ||
        (key_name != NULL && json_object_set_new(req, "key_name", json_string(key_name)) != 0) ||
        (alg->sm2 && json_object_set_new(req, "sm2_id", json_string(sm2_id)) != 0) ||
        json_object_set_new(req, "data", json_string((const char *)b64)) != 0 ||
        (body = json_dumps(req, JSON_COMPACT)) == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    cg_buf_reset(&r->answer);
    r->errbuf[0] = '\0';
    if (curl_easy_setopt(r->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(r->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) !=
            CURLE_OK) {
        rc = CG_ERR_SET(err, CG_EUNSUPPORTED, "remote signer %s: libcurl refused the request body",
                        r->url);
        goto done;
    }
    cc = curl_easy_perform(r->curl);
    if (cc != CURLE_OK) {
        if (cc == CURLE_WRITE_ERROR)
            rc = CG_ERR_SET(err, CG_ECRYPTO, "remote signer %s: answer larger than %u bytes",
                            r->url, ANSWER_MAX);
        else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE ||
                 cc == CURLE_SSL_CERTPROBLEM)
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "remote signer %s: TLS verification failed: %s "
                            "(set remote_ca to the CA that issued its certificate)",
                            r->url, r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
        else
            rc = CG_ERR_SET(err, CG_ERETRY, "remote signer %s: %s", r->url,
                            r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
    ans = json_loadb(r->answer.data != NULL ? r->answer.data : "", r->answer.len, 0, &jerr);
    if (status < 200 || status > 299) {
        msg = json_string_value(json_object_get(ans, "error"));
        rc = CG_ERR_SET(err, status >= 500 || status == 429 ? CG_ERETRY : CG_ECRYPTO,
                        "remote signer %s answered HTTP %ld%s%s", r->url, status,
                        msg != NULL ? ": " : "", msg != NULL ? msg : "");
        goto done;
    }
    if (!json_is_object(ans)) {
        rc = CG_ERR_SET(err, CG_ECRYPTO, "remote signer %s: answer is not a JSON object (%s)",
                        r->url, ans == NULL ? jerr.text : "wrong type");
        goto done;
    }
    rc = b64_member(ans, "signature_value", &s, &s_len, err);
    if (rc == CG_OK)
        rc = b64_member(ans, "certificate", &c, &c_len, err);
    if (rc != CG_OK)
        goto done;
    kn = json_string_value(json_object_get(ans, "key_name"));
    if (kn != NULL && (k = strdup(kn)) == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    *sig = s;
    *sig_len = s_len;
    *cert = c;
    *cert_len = c_len;
    *key_name_out = k;
    s = c = NULL;
    k = NULL;
done:
    free(s);
    free(c);
    free(k);
    free(body);
    xmlFree(b64);
    json_decref(req);
    json_decref(ans);
    return rc;
}
