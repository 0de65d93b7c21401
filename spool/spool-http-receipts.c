/*
 * spool-http-receipts.c - poll the port's receipts endpoint (GET receipts_url?since=<cursor>)
 * and hand each receipt, decoded from base64, to the caller.
 *
 * The caller owns the cursor and the set of receipt ids already applied; this file only
 * fetches and decodes pages, with the same retry and backoff rules as sending. A page that is
 * not the receipts format fails the whole page (CG_EPARSE) so nothing is applied half-way; a
 * stop request (cg_http_set_stop) abandons the page being fetched (CG_ERETRY), so neither.
 * Credentials the port refuses (401, 403) are CG_ECONFIG; another answer no retry helps (3xx,
 * 404, 405, ...) is CG_ENOTFOUND: receipts are not served at that URL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "spool/spool-http-int.h"
#include "spool/spool.h"

/* Decode base64 (whitespace allowed) into a new NUL-terminated buffer. */
static int b64_decode(const char *in, size_t inlen, char **out, size_t *outlen)
{
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    unsigned char *buf = NULL;
    int n1 = 0, n2 = 0, rc = CG_EPARSE;

    if (ctx == NULL || inlen > (size_t)INT32_MAX)
        goto done;
    buf = malloc(inlen / 4 * 3 + 4);
    if (buf == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    EVP_DecodeInit(ctx);
    if (EVP_DecodeUpdate(ctx, buf, &n1, (const unsigned char *)in, (int)inlen) < 0 ||
        EVP_DecodeFinal(ctx, buf + n1, &n2) < 0)
        goto done;
    buf[n1 + n2] = '\0';
    *out = (char *)buf;
    *outlen = (size_t)(n1 + n2);
    buf = NULL;
    rc = CG_OK;
done:
    free(buf);
    EVP_ENCODE_CTX_free(ctx);
    return rc;
}

/* A JSON id or cursor as text: a string as is, an integer in decimal. */
static bool json_text(json_t *v, char *out, size_t size)
{
    if (json_is_string(v)) {
        if (json_string_length(v) == 0 || json_string_length(v) >= size)
            return false;
        cg_strlcpy(out, json_string_value(v), size);
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    }
    return false;
}

/* The receipt message in base64: "xml" (cebgate port), or "xml_base64". */
static json_t *receipt_b64(json_t *r)
{
    json_t *v = json_object_get(r, "xml");

    return v != NULL ? v : json_object_get(r, "xml_base64");
}

static const char *field(json_t *r, const char *name)
{
    const char *v = json_string_value(json_object_get(r, name));

    return v != NULL ? v : "";
}

/* Check the whole page before handing any receipt over. */
static int check_page(json_t *root, char *next, size_t nsize, struct cg_err *err)
{
    json_t *list, *r;
    size_t i;

    if (!json_is_object(root))
        return CG_ERR_SET(err, CG_EPARSE, "receipts page: not a JSON object");
    if (!json_text(json_object_get(root, "next"), next, nsize))
        return CG_ERR_SET(err, CG_EPARSE, "receipts page: \"next\" missing or not a cursor");
    list = json_object_get(root, "receipts");
    if (!json_is_array(list))
        return CG_ERR_SET(err, CG_EPARSE, "receipts page: \"receipts\" missing or not a list");
    json_array_foreach(list, i, r)
    {
        char id[128];
        json_t *type = json_object_get(r, "type");

        if (!json_is_object(r) || !json_text(json_object_get(r, "id"), id, sizeof(id)))
            return CG_ERR_SET(err, CG_EPARSE, "receipts page: receipt %zu: no \"id\"", i + 1);
        if (!json_is_string(receipt_b64(r)))
            return CG_ERR_SET(err, CG_EPARSE,
                              "receipts page: receipt %s: no \"xml\" (base64) field", id);
        if (type != NULL && !json_is_string(type))
            return CG_ERR_SET(err, CG_EPARSE, "receipts page: receipt %s: \"type\" not text", id);
    }
    return CG_OK;
}

/* GET one page into body, retrying temporary failures. */
static int fetch(struct cg_http *h, const char *url, struct cg_buf *body, struct cg_err *err)
{
    CURL *e = h->receipts_easy;
    int64_t first = cg_http_now_ms();
    int attempts = 0;
    const char *bad = NULL;

    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEDATA, body) != CURLE_OK)
        bad = "URL";
    if (bad != NULL)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option %s", bad);

    for (;;) {
        struct cg_http_answer a;
        CURLcode cc;
        long conns = 0;
        int64_t delay;

        cg_buf_reset(body);
        h->receipts_errbuf[0] = '\0';
        if (cg_http_stopped(h))
            return CG_ERR_SET(err, CG_ERETRY, "%s: stopped on request", url);
        attempts++;
        h->stats.requests++;
        cg_debug("GET %s, attempt %d", url, attempts);
        switch (cg_http_perform(h, e, &cc)) {
        case CG_OK: break;
        case CG_ERETRY: return CG_ERR_SET(err, CG_ERETRY, "%s: stopped on request", url);
        default: return CG_ERR_SET(err, CG_ERR, "%s: the curl multi interface failed", url);
        }
        if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
            h->stats.connections += conns;
        cg_http_classify(e, cc, h->receipts_errbuf, body, &a);
        if (a.verdict == CG_HTTP_V_ACK && body->len >= body->max)
            return CG_ERR_SET(err, CG_ERANGE, "%s: receipts page larger than %zu bytes", url,
                              body->max);
        switch (a.verdict) {
        case CG_HTTP_V_ACK: return CG_OK;
        case CG_HTTP_V_REJECT:
            return CG_ERR_SET(err, CG_EREJECT, "%s: HTTP %ld: %s", url, a.status, a.text);
        case CG_HTTP_V_ENDPOINT:
            if (a.rc != CG_ECONFIG)
                return CG_ERR_SET(err, a.rc, "%s: %s", url, a.text);
            /* Refused credentials stop the caller (its POSTs would be refused too); any other
             * answer says the receipts are not served at this URL, which need not hold up
             * sending (docs/http-transport.md, Receipts). */
            return CG_ERR_SET(err, cg_http_credentials_refused(&a) ? CG_ECONFIG : CG_ENOTFOUND,
                              "%s: %s (%s)", url, a.text,
                              cg_http_endpoint_hint(&a, "receipts_url"));
        case CG_HTTP_V_RETRY: break;
        }
        if (attempts > h->max_retries)
            return CG_ERR_SET(err, CG_ERETRY, "%s: %d attempts failed, last: %s", url, attempts,
                              a.text);
        delay = cg_http_backoff_ms(h, attempts, a.retry_after);
        if (cg_http_now_ms() + delay > first + h->retry_deadline_ms)
            return CG_ERR_SET(err, CG_ERETRY,
                              "%s: retry deadline reached after %d attempt%s, last: %s", url,
                              attempts, attempts == 1 ? "" : "s", a.text);
        cg_debug("GET %s: %s; next attempt in %lld ms", url, a.text, (long long)delay);
        h->stats.retries++;
        if (!cg_http_sleep(h, delay))
            return CG_ERR_SET(err, CG_ERETRY, "%s: stopped on request", url);
    }
}

int cg_http_receipts_page(struct cg_http *h, const char *since, cg_http_receipt_fn fn, void *ctx,
                          char **next, size_t *count, bool *more, struct cg_err *err)
{
    struct cg_buf url, body;
    char cursor[128];
    char *esc = NULL;
    json_t *root = NULL, *list, *r;
    json_error_t je;
    size_t i, n = 0;
    int rc;

    cg_buf_init(&url, 8192);
    cg_buf_init(&body, CG_HTTP_PAGE_MAX);
    if (h->receipts_url == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[transport] receipts_url: not set");
        goto done;
    }
    if (h->receipts_easy == NULL) {
        h->receipts_easy = curl_easy_init();
        if (h->receipts_easy == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = cg_http_easy_setup(h, h->receipts_easy, h->receipts_errbuf, err)) != CG_OK)
            goto done;
    }
    if (since == NULL || since[0] == '\0')
        since = "0";
    esc = curl_easy_escape(h->receipts_easy, since, 0);
    if (esc == NULL ||
        cg_buf_addf(&url, "%s%csince=%s", h->receipts_url, strchr(h->receipts_url, '?') ? '&' : '?',
                    esc) != CG_OK ||
        (h->receipts_limit > 0 && cg_buf_addf(&url, "&limit=%ld", h->receipts_limit) != CG_OK)) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "receipts URL too long or out of memory");
        goto done;
    }
    if ((rc = fetch(h, cg_buf_str(&url), &body, err)) != CG_OK)
        goto done;
    root = json_loadb(body.data ? body.data : "", body.len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        rc = CG_ERR_SET(err, CG_EPARSE, "%s: receipts page is not JSON: line %d: %s",
                        cg_buf_str(&url), je.line, je.text);
        goto done;
    }
    if ((rc = check_page(root, cursor, sizeof(cursor), err)) != CG_OK)
        goto done;
    list = json_object_get(root, "receipts");
    json_array_foreach(list, i, r)
    {
        struct cg_http_receipt rec;
        json_t *b64 = receipt_b64(r);
        char id[128];
        char *xml = NULL;
        size_t len = 0;

        json_text(json_object_get(r, "id"), id, sizeof(id));
        rc = b64_decode(json_string_value(b64), json_string_length(b64), &xml, &len);
        if (rc != CG_OK) {
            rc = CG_ERR_SET(err, rc, "receipts page: receipt %s: %s", id,
                            rc == CG_ENOMEM ? "out of memory" : "xml_base64 is not base64");
            goto done;
        }
        rec.id = id;
        rec.type = field(r, "type");
        rec.guid = field(r, "guid");
        rec.doc_guid = field(r, "docGuid");
        rec.status = field(r, "status");
        rec.xml = xml;
        rec.len = len;
        rc = fn(&rec, ctx);
        free(xml);
        if (rc != CG_OK)
            goto done;
        n++;
    }
    *next = strdup(cursor);
    if (*next == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    *count = n;
    if (more != NULL) {
        json_t *m = json_object_get(root, "more");

        *more = json_is_boolean(m) ? json_is_true(m) : n > 0;
    }
    rc = CG_OK;
done:
    json_decref(root);
    curl_free(esc);
    cg_buf_free(&url);
    cg_buf_free(&body);
    return rc;
}

int cg_http_receipts_poll(struct cg_http *h, const char *since, cg_http_receipt_fn fn,
                          int (*cursor_fn)(const char *next, void *ctx), void *ctx, size_t *total,
                          struct cg_err *err)
{
    char *cur = NULL;
    size_t sum = 0;
    int rc = CG_OK;

    cur = strdup(since != NULL && since[0] != '\0' ? since : "0");
    if (cur == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    for (;;) {
        char *next = NULL;
        size_t n = 0;
        bool more = false;

        if ((rc = cg_http_receipts_page(h, cur, fn, ctx, &next, &n, &more, err)) != CG_OK)
            goto done;
        sum += n;
        if (strcmp(next, cur) != 0 && cursor_fn != NULL && (rc = cursor_fn(next, ctx)) != CG_OK) {
            free(next);
            goto done;
        }
        /* Nothing more waiting, or a cursor that did not move: done for now. */
        if (!more || n == 0 || strcmp(next, cur) == 0) {
            free(next);
            break;
        }
        free(cur);
        cur = next;
    }
done:
    free(cur);
    if (total != NULL)
        *total = sum;
    return rc;
}
