/*
 * spool-http.c - the HTTP(S) transport: POST signed messages to the port with the curl multi
 * interface, N at a time over keep-alive connections, with retries, backoff and Retry-After.
 *
 * Owns the curl easy handles (one per parallel slot) and the per-call job table; the message
 * bytes are the caller's; the stop flag is the caller's and only read. Fails soft per message
 * (an outcome REJECTED or RETRY_LATER) and hard only for memory, bad options, or a transport
 * that cannot work at all (untrusted port certificate, wrong endpoint), which still reports
 * every message as RETRY_LATER. A stop request ends a batch within CG_HTTP_STOP_SLICE_MS:
 * answers already in are recorded, the rest is RETRY_LATER.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "core/http-client.h"
#include "core/buf.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/text.h"
#include "spool/spool-http-int.h"
#include "spool/spool.h"

int64_t cg_http_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool cg_http_stopped(const struct cg_http *h)
{
    return h->stop != NULL && *h->stop != 0;
}

void cg_http_set_stop(struct cg_http *h, volatile sig_atomic_t *stop)
{
    if (h != NULL)
        h->stop = stop;
}

bool cg_http_sleep(const struct cg_http *h, int64_t ms)
{
    int64_t end = cg_http_now_ms() + ms;

    for (;;) {
        int64_t left = end - cg_http_now_ms();
        struct timespec ts;

        if (cg_http_stopped(h))
            return false;
        if (left <= 0)
            return true;
        if (left > CG_HTTP_STOP_SLICE_MS)
            left = CG_HTTP_STOP_SLICE_MS;
        ts.tv_sec = (time_t)(left / 1000);
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        nanosleep(&ts, NULL); /* a signal ends it early: the flag is looked at again */
    }
}

int cg_http_perform(struct cg_http *h, CURL *e, CURLcode *cc)
{
    int rc = CG_ERR;

    *cc = CURLE_OK;
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
        return CG_ERR;
    for (;;) {
        int running = 0, left = 0;
        bool ended = false;
        CURLMsg *cm;

        if (curl_multi_perform(h->multi, &running) != CURLM_OK)
            break;
        while ((cm = curl_multi_info_read(h->multi, &left)) != NULL) {
            if (cm->msg == CURLMSG_DONE && cm->easy_handle == e) {
                *cc = cm->data.result;
                ended = true;
            }
        }
        if (ended) {
            rc = CG_OK;
            break;
        }
        if (cg_http_stopped(h)) {
            rc = CG_ERETRY;
            break;
        }
        if (curl_multi_poll(h->multi, NULL, 0, CG_HTTP_STOP_SLICE_MS, NULL) != CURLM_OK)
            break;
    }
    curl_multi_remove_handle(h->multi, e);
    return rc;
}

static uint64_t rng_next(struct cg_http *h)
{
    /* xorshift64*: jitter only needs to spread clients apart, not to be secret. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 2685821657736338717ULL;
}

int64_t cg_http_backoff_ms(struct cg_http *h, int retry, long retry_after)
{
    int64_t d = h->retry_base_ms;
    int64_t ra = (int64_t)retry_after * 1000;

    for (int i = 1; i < retry && d < h->retry_max_delay_ms; i++)
        d *= 2;
    if (d > h->retry_max_delay_ms)
        d = h->retry_max_delay_ms;
    d = d / 2 + (int64_t)(rng_next(h) % (uint64_t)(d / 2 + 1));
    if (ra > 0 && d < ra)
        d = ra + (int64_t)(rng_next(h) % 250);
    return d;
}

size_t cg_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct cg_buf *b = userdata;
    size_t n = size * nmemb;
    size_t room = b->max > b->len ? b->max - b->len : 0;

    if (room > 0 && cg_buf_add(b, ptr, n < room ? n : room) != CG_OK)
        return 0;
    return n;
}

/* Read the first line of a passphrase file (at most 1 KiB). */
static int read_pass_file(const char *path, char **out, struct cg_err *err)
{
    char line[1025];
    FILE *fp = fopen(path, "re");
    int rc = CG_OK;

    if (fp == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "%s: cannot read the secret: %s", path, strerror(errno));
    if (fgets(line, sizeof(line), fp) == NULL)
        line[0] = '\0';
    fclose(fp);
    line[strcspn(line, "\r\n")] = '\0';
    *out = strdup(line);
    if (*out == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

/*
 * The sender's token: the first line of [transport] token_file without the white space that
 * ends it, as the port reads its senders' token files. A file that is missing, cannot be read
 * or whose first line is empty is a configuration error naming the setting and the file, found
 * when the transport starts, before anything is taken or sent; the token itself is never put
 * into a message. The file is at most 4096 bytes, as the port allows.
 */
static int read_token_file(const char *path, char **out, struct cg_err *err)
{
    char data[4097];
    FILE *fp = fopen(path, "re");
    size_t n, len = 0;
    int rc = CG_OK;

    if (fp == NULL) {
        if (errno == ENOENT)
            return CG_ERR_SET(err, CG_ECONFIG, "[transport] token_file %s: no such file", path);
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] token_file %s: cannot read: %s", path,
                          strerror(errno));
    }
    n = fread(data, 1, sizeof(data), fp);
    if (ferror(fp))
        rc = CG_ERR_SET(err, CG_ECONFIG, "[transport] token_file %s: cannot read: %s", path,
                        strerror(errno));
    else if (n == sizeof(data))
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[transport] token_file %s: larger than the limit of %zu bytes", path,
                        sizeof(data) - 1);
    fclose(fp);
    if (rc == CG_OK) {
        const char *nl = memchr(data, '\n', n);

        len = nl != NULL ? (size_t)(nl - data) : n;
        while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == ' ' || data[len - 1] == '\t'))
            len--;
        if (len == 0)
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "[transport] token_file %s: the first line is empty (the token is the "
                            "first line)",
                            path);
        else if (memchr(data, '\0', len) != NULL)
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "[transport] token_file %s: the first line holds a NUL byte", path);
    }
    if (rc == CG_OK) {
        *out = malloc(len + 1);
        if (*out == NULL)
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        else {
            memcpy(*out, data, len);
            (*out)[len] = '\0';
        }
    }
    OPENSSL_cleanse(data, sizeof(data));
    return rc;
}

/* Accept http:// and https:// URLs only; warn about plain http to a host not on loopback. */
static int check_url(const char *what, const char *url, struct cg_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = CG_OK;

    if (u == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[transport] %s: not a valid URL: %s", what, url);
        goto done;
    }
    if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[transport] %s: scheme %s: only http and https", what,
                        scheme);
        goto done;
    }
    if (strcasecmp(scheme, "http") == 0 && strcmp(host, "127.0.0.1") != 0 &&
        strcmp(host, "[::1]") != 0 && strcasecmp(host, "localhost") != 0)
        cg_warn("[transport] %s is plain http to %s: messages travel unencrypted", what, host);
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

static int check_readable(const char *what, const char *path, struct cg_err *err)
{
    if (path != NULL && access(path, R_OK) != 0)
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] %s: %s: %s", what, path, strerror(errno));
    return CG_OK;
}

int cg_http_opts_from_conf(const struct cg_conf *conf, struct cg_http_opts *o,
                           struct cg_http_opts_paths *paths, struct cg_err *err)
{
    memset(o, 0, sizeof(*o));
    memset(paths, 0, sizeof(*paths));
    paths->ca_file = cg_conf_get_path(conf, "transport", "ca_file");
    paths->client_cert = cg_conf_get_path(conf, "transport", "client_cert");
    paths->client_key = cg_conf_get_path(conf, "transport", "client_key");
    paths->key_pass_file = cg_conf_get_path(conf, "transport", "client_key_pass_file");
    paths->token_file = cg_conf_get_path(conf, "transport", "token_file");
    o->token_file = paths->token_file;
    o->url = cg_conf_get(conf, "transport", "url");
    o->receipts_url = cg_conf_get(conf, "transport", "receipts_url");
    o->ca_file = paths->ca_file;
    o->client_cert = paths->client_cert;
    o->client_key = paths->client_key;
    o->key_pass_file = paths->key_pass_file;
    o->key_pass_env = cg_conf_get(conf, "transport", "client_key_pass_env");
    o->parallel = cg_conf_get_int(conf, "transport", "parallel");
    o->connect_timeout_ms = cg_conf_get_int(conf, "transport", "connect_timeout") * 1000;
    o->timeout_ms = cg_conf_get_int(conf, "transport", "timeout") * 1000;
    o->max_retries = cg_conf_get_int(conf, "transport", "max_retries");
    o->retry_deadline_ms = cg_conf_get_int(conf, "transport", "retry_deadline") * 1000;
    o->retry_base_ms = cg_conf_get_int(conf, "transport", "retry_base_ms");
    o->retry_max_delay_ms = cg_conf_get_int(conf, "transport", "retry_max_delay") * 1000;
    return CG_OK;
}

void cg_http_opts_paths_free(struct cg_http_opts_paths *paths)
{
    if (paths == NULL)
        return;
    free(paths->ca_file);
    free(paths->client_cert);
    free(paths->client_key);
    free(paths->key_pass_file);
    free(paths->token_file);
    memset(paths, 0, sizeof(*paths));
}

static int dup_opt(const char *s, char **out, struct cg_err *err)
{
    *out = NULL;
    if (s == NULL || s[0] == '\0')
        return CG_OK;
    *out = strdup(s);
    return *out == NULL ? CG_ERR_SET(err, CG_ENOMEM, "out of memory") : CG_OK;
}

int cg_http_new(const struct cg_http_opts *o, struct cg_http **out, struct cg_err *err)
{
    struct cg_http *h = NULL;
    int rc;

    if (o->parallel < 0 || o->parallel > 64)
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] parallel: %ld not in 1..64", o->parallel);
    if (o->url == NULL && o->receipts_url == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] url: not set");
    if (o->client_key != NULL && o->client_cert == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] client_key is set but client_cert is not");
    if ((rc = check_url("url", o->url ? o->url : "https://x/", err)) != CG_OK ||
        (o->receipts_url && (rc = check_url("receipts_url", o->receipts_url, err)) != CG_OK) ||
        (rc = check_readable("ca_file", o->ca_file, err)) != CG_OK ||
        (rc = check_readable("client_cert", o->client_cert, err)) != CG_OK ||
        (rc = check_readable("client_key", o->client_key, err)) != CG_OK)
        return rc;

    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if ((rc = dup_opt(o->url, &h->url, err)) != CG_OK ||
        (rc = dup_opt(o->receipts_url, &h->receipts_url, err)) != CG_OK ||
        (rc = dup_opt(o->ca_file, &h->ca_file, err)) != CG_OK ||
        (rc = dup_opt(o->client_cert, &h->client_cert, err)) != CG_OK ||
        (rc = dup_opt(o->client_key, &h->client_key, err)) != CG_OK)
        goto done;
    if (o->key_pass_file != NULL) {
        if ((rc = read_pass_file(o->key_pass_file, &h->key_pass, err)) != CG_OK)
            goto done;
    } else if (o->key_pass_env != NULL) {
        const char *v = getenv(o->key_pass_env);

        if (v == NULL) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "[transport] client_key_pass_env: variable %s is not set",
                            o->key_pass_env);
            goto done;
        }
        if ((rc = dup_opt(v, &h->key_pass, err)) != CG_OK)
            goto done;
    }
    if (o->token_file != NULL && (rc = read_token_file(o->token_file, &h->token, err)) != CG_OK)
        goto done;
    h->parallel = o->parallel > 0 ? o->parallel : 4;
    h->connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    h->max_retries = o->max_retries >= 0 ? o->max_retries : 8;
    h->retry_deadline_ms = o->retry_deadline_ms > 0 ? o->retry_deadline_ms : 600000;
    h->retry_base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 500;
    h->retry_max_delay_ms = o->retry_max_delay_ms > 0 ? o->retry_max_delay_ms : 60000;
    h->stop = o->stop;
    h->multi = curl_multi_init();
    h->slots = calloc((size_t)h->parallel, sizeof(*h->slots));
    h->headers_xml = curl_slist_append(NULL, "Expect:");
    if (h->headers_xml != NULL &&
        curl_slist_append(h->headers_xml, "Content-Type: application/xml") == NULL) {
        curl_slist_free_all(h->headers_xml);
        h->headers_xml = NULL;
    }
    if (h->multi == NULL || h->slots == NULL || h->headers_xml == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, h->parallel);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, h->parallel);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, h->parallel);
    for (long i = 0; i < h->parallel; i++) {
        struct cg_http_slot *sl = &h->slots[i];

        cg_buf_init(&sl->body, CG_HTTP_ANSWER_MAX);
        sl->easy = curl_easy_init();
        if (sl->easy == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = cg_http_easy_setup(h, sl->easy, sl->errbuf, err)) != CG_OK)
            goto done;
    }
    if (getrandom(&h->rng, sizeof(h->rng), 0) != (ssize_t)sizeof(h->rng))
        h->rng = (uint64_t)cg_http_now_ms();
    h->rng |= 1;
    *out = h;
    h = NULL;
    rc = CG_OK;
done:
    cg_http_free(h);
    return rc;
}

void cg_http_free(struct cg_http *h)
{
    if (h == NULL)
        return;
    if (h->receipts_easy != NULL)
        curl_easy_cleanup(h->receipts_easy);
    for (long i = 0; h->slots != NULL && i < h->parallel; i++) {
        struct cg_http_slot *sl = &h->slots[i];

        if (sl->easy != NULL) {
            if (sl->busy && h->multi != NULL)
                curl_multi_remove_handle(h->multi, sl->easy);
            curl_easy_cleanup(sl->easy);
        }
        curl_slist_free_all(sl->own_headers);
        cg_buf_free(&sl->body);
    }
    free(h->slots);
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    curl_slist_free_all(h->headers_xml);
    if (h->token != NULL) {
        OPENSSL_cleanse(h->token, strlen(h->token));
        free(h->token);
    }
    if (h->key_pass != NULL) {
        OPENSSL_cleanse(h->key_pass, strlen(h->key_pass));
        free(h->key_pass);
    }
    free(h->url);
    free(h->receipts_url);
    free(h->ca_file);
    free(h->client_cert);
    free(h->client_key);
    free(h);
}

void cg_http_get_stats(const struct cg_http *h, struct cg_http_stats *out)
{
    *out = h->stats;
}

/* Set an option; the first one libcurl refuses is named in bad. */
#define SETOPT(e, opt, val)                                                                        \
    do {                                                                                           \
        if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)                                       \
            bad = #opt;                                                                            \
    } while (0)

/* The one client policy (core/http-client.h), then what the transport adds (keep-alive, the
 * body callback, the sender's token). */
int cg_http_easy_setup(struct cg_http *h, CURL *e, char *errbuf, struct cg_err *err)
{
    struct cg_http_client_opts o;
    int rc;

    o.ca_file = h->ca_file;
    o.client_cert = h->client_cert;
    o.client_key = h->client_key;
    o.key_pass = h->key_pass;
    o.connect_timeout_ms = h->connect_timeout_ms;
    o.timeout_ms = h->timeout_ms;
    rc = cg_http_client_setup(e, &o, errbuf, err);
    if (rc != CG_OK)
        return rc;
    if (curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option CURLOPT_TCP_KEEPALIVE");
    if (curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cg_http_write_cb) != CURLE_OK)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option CURLOPT_WRITEFUNCTION");
    if (h->token != NULL) {
        /* the sender's token, as Authorization: Bearer */
        if (curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK)
            return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option CURLOPT_HTTPAUTH");
        if (curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, h->token) != CURLE_OK)
            return CG_ERR_SET(err, CG_EUNSUPPORTED,
                              "libcurl refused option CURLOPT_XOAUTH2_BEARER");
    }
    return CG_OK;
}

/*
 * Copy printable text (newlines become spaces, other control bytes '?'), at most size - 1
 * bytes; DEL, C1 controls, bidi overrides and bytes that are not UTF-8 are then escaped
 * (core/text.h), so the port's words cannot forge or reorder a log line.
 */
static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
    char raw[CG_HTTP_TEXT_MAX + 1];
    size_t j = 0;

    for (size_t i = 0; i < len && j + 1 < size && j + 1 < sizeof(raw); i++) {
        unsigned char c = (unsigned char)src[i];

        raw[j++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 ? '?' : (char)c);
    }
    raw[j] = '\0';
    while (j > 0 && raw[j - 1] == ' ')
        raw[--j] = '\0';
    cg_text_show(raw, dst, size);
}

/* The port's JSON answer: result, code, text (see docs/http-transport.md). */
static bool parse_port_json(const struct cg_buf *body, const char **result, json_t **root)
{
    json_error_t je;

    *root = NULL;
    *result = NULL;
    if (body->len == 0)
        return false;
    *root = json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &je);
    if (*root == NULL || !json_is_object(*root))
        return false;
    *result = json_string_value(json_object_get(*root, "result"));
    return *result != NULL;
}

static void rejection(struct cg_http_answer *a, json_t *root, const struct cg_buf *body)
{
    json_t *code = root ? json_object_get(root, "code") : NULL;
    const char *text = root ? json_string_value(json_object_get(root, "text")) : NULL;

    a->verdict = CG_HTTP_V_REJECT;
    if (json_is_string(code))
        cg_text_show(json_string_value(code), a->code, sizeof(a->code));
    else if (json_is_integer(code))
        snprintf(a->code, sizeof(a->code), "%" JSON_INTEGER_FORMAT, json_integer_value(code));
    else
        snprintf(a->code, sizeof(a->code), "%ld", a->status);
    if (text != NULL)
        copy_text(a->text, sizeof(a->text), text, strlen(text));
    else if (body->len > 0)
        copy_text(a->text, sizeof(a->text), body->data, body->len);
    else
        snprintf(a->text, sizeof(a->text), "HTTP %ld without a body", a->status);
}

/* "HTTP 503: 3999 text" from the port's JSON, else "HTTP 503: body". */
static void describe(struct cg_http_answer *a, json_t *root, const struct cg_buf *body)
{
    const char *code = root ? json_string_value(json_object_get(root, "code")) : NULL;
    const char *text = root ? json_string_value(json_object_get(root, "text")) : NULL;
    size_t n;

    snprintf(a->text, sizeof(a->text), "HTTP %ld", a->status);
    if (code != NULL) {
        n = strlen(a->text);
        cg_text_show(code, a->code, sizeof(a->code));
        snprintf(a->text + n, sizeof(a->text) - n, " (code %s)", a->code);
    }
    n = strlen(a->text);
    if (text != NULL) {
        snprintf(a->text + n, sizeof(a->text) - n, ": ");
        n = strlen(a->text);
        copy_text(a->text + n, sizeof(a->text) - n, text, strlen(text));
    } else if (body->len > 0) {
        snprintf(a->text + n, sizeof(a->text) - n, ": ");
        n = strlen(a->text);
        copy_text(a->text + n, sizeof(a->text) - n, body->data, body->len);
    }
}

/* curl errors no retry can fix: TLS trust and set-up, bad URL, unsupported protocol. */
static bool curl_error_final(CURLcode cc)
{
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY: return true;
    default: return false;
    }
}

void cg_http_classify(CURL *e, CURLcode cc, const char *errbuf, const struct cg_buf *body,
                      struct cg_http_answer *a)
{
    const char *result = NULL;
    json_t *root = NULL;
    curl_off_t ra = 0;
    long st = 0;

    memset(a, 0, sizeof(*a));
    if (cc != CURLE_OK) {
        snprintf(a->text, sizeof(a->text), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        if (curl_error_final(cc)) {
            a->verdict = CG_HTTP_V_ENDPOINT;
            a->rc = cc == CURLE_OUT_OF_MEMORY ? CG_ENOMEM
                    : (cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT ||
                       cc == CURLE_NOT_BUILT_IN)
                        ? CG_ECONFIG
                        : CG_ECRYPTO;
        } else {
            a->verdict = CG_HTTP_V_RETRY;
        }
        return;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
    a->status = st;
    if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        a->retry_after = ra > 86400 * 7 ? 86400 * 7 : (long)ra;
    parse_port_json(body, &result, &root);

    if (st >= 200 && st < 300 && (result == NULL || strcmp(result, "accepted") == 0)) {
        a->verdict = CG_HTTP_V_ACK;
        a->duplicate = root != NULL && json_is_true(json_object_get(root, "duplicate"));
    } else if (st >= 200 && st < 300 && strcmp(result, "rejected") == 0) {
        /* A synchronous rejection in a 2xx answer. */
        rejection(a, root, body);
    } else if (st == 408 || st == 429 || st >= 500 ||
               (result != NULL && strcmp(result, "retry") == 0)) {
        /* Temporary: the port (or a proxy) asks to send again. */
        a->verdict = CG_HTTP_V_RETRY;
        describe(a, root, body);
    } else if (st >= 400 && st < 500 && st != 401 && st != 403 && st != 404 && st != 405 &&
               st != 407 && st != 421 && st != 426) {
        /* An answer about this message (the port uses 409, 413 and 422): final. */
        rejection(a, root, body);
    } else {
        /* 1xx, 2xx with an unknown result, 3xx, or 401/403/404/405/407/421/426: the URL, the
         * client certificate, the credentials or a proxy is wrong, not the message. No retry
         * helps, and no message may be marked rejected for it. */
        a->verdict = CG_HTTP_V_ENDPOINT;
        a->rc = CG_ECONFIG;
        describe(a, root, body);
    }
    json_decref(root);
}

bool cg_http_credentials_refused(const struct cg_http_answer *a)
{
    return a->verdict == CG_HTTP_V_ENDPOINT && (a->status == 401 || a->status == 403);
}

const char *cg_http_endpoint_hint(const struct cg_http_answer *a, const char *url_key)
{
    if (a->status == 401)
        return "check [transport] token_file";
    if (a->status == 403)
        return "check [transport] client_cert and client_key, or token_file";
    return strcmp(url_key, "receipts_url") == 0 ? "check [transport] receipts_url"
                                                : "check [transport] url";
}

/* ------------------------------------------------------------------ sending */

/* Per message state during one cg_http_send() call. */
struct job {
    int64_t first_ms; /* first attempt; 0 before */
    int64_t due_ms;   /* earliest next attempt */
    int attempts;
    long retry_after;
    long status;
};

/* Min-heap of job indices by due time (the retries waiting for their backoff). */
struct heap {
    size_t *v;
    size_t n, cap;
};

static bool heap_less(const struct job *jobs, size_t a, size_t b)
{
    return jobs[a].due_ms < jobs[b].due_ms;
}

static int heap_push(struct heap *hp, const struct job *jobs, size_t idx)
{
    size_t i;

    if (hp->n == hp->cap) {
        size_t cap = hp->cap ? hp->cap * 2 : 64;
        size_t *v = realloc(hp->v, cap * sizeof(*v));

        if (v == NULL)
            return CG_ENOMEM;
        hp->v = v;
        hp->cap = cap;
    }
    i = hp->n++;
    hp->v[i] = idx;
    while (i > 0 && heap_less(jobs, hp->v[i], hp->v[(i - 1) / 2])) {
        size_t p = (i - 1) / 2, t = hp->v[p];

        hp->v[p] = hp->v[i];
        hp->v[i] = t;
        i = p;
    }
    return CG_OK;
}

static size_t heap_pop(struct heap *hp, const struct job *jobs)
{
    size_t top = hp->v[0], i = 0;

    hp->v[0] = hp->v[--hp->n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i, t;

        if (l < hp->n && heap_less(jobs, hp->v[l], hp->v[m]))
            m = l;
        if (r < hp->n && heap_less(jobs, hp->v[r], hp->v[m]))
            m = r;
        if (m == i)
            break;
        t = hp->v[m];
        hp->v[m] = hp->v[i];
        hp->v[i] = t;
        i = m;
    }
    return top;
}

struct send_ctx {
    struct cg_http *h;
    const struct cg_http_msg *msgs;
    struct job *jobs;
    struct cg_http_slot *slots;
    struct heap wait;
    CURLM *multi;
    cg_http_outcome_fn fn;
    void *ctx;
    bool gave_up;   /* no more attempts in this call */
    bool stopped;   /* the caller asked to stop: nothing more is waited for */
    int gave_up_rc; /* CG_ERETRY, CG_ECRYPTO, CG_ECONFIG */
    char gave_up_why[CG_HTTP_TEXT_MAX + 1];
};

static const char *guid_of(const struct cg_http_msg *m)
{
    return m->guid != NULL ? m->guid : "(no guid)";
}

static int report(struct send_ctx *s, size_t idx, enum cg_http_result r, const char *code,
                  const char *text, const struct cg_http_answer *a, const char *answer)
{
    struct cg_http_outcome o;
    const struct job *j = &s->jobs[idx];

    memset(&o, 0, sizeof(o));
    o.result = r;
    o.http_status = j->status;
    o.code = code ? code : "";
    o.text = text ? text : "";
    o.attempts = j->attempts;
    o.retry_after_s = r == CG_HTTP_RETRY_LATER ? j->retry_after : 0;
    o.duplicate = a != NULL && a->duplicate;
    o.answer = answer != NULL ? answer : "";
    if (r == CG_HTTP_REJECTED)
        cg_info("message %s rejected by the port: %s %s", guid_of(&s->msgs[idx]), o.code, o.text);
    else if (r == CG_HTTP_RETRY_LATER)
        cg_info("message %s not acknowledged, to be sent again: %s", guid_of(&s->msgs[idx]),
                o.text);
    return s->fn(&s->msgs[idx], &o, s->ctx);
}

static void give_up(struct send_ctx *s, int rc, const char *why)
{
    int n;

    if (s->gave_up)
        return;
    s->gave_up = true;
    s->gave_up_rc = rc;
    /* The reason becomes an outcome's text: a longer one is cut to that size, marked "...". */
    n = snprintf(s->gave_up_why, sizeof(s->gave_up_why), "port unavailable for this run: %s", why);
    if (n < 0 || (size_t)n >= sizeof(s->gave_up_why))
        memcpy(s->gave_up_why + sizeof(s->gave_up_why) - 4, "...", 4);
    cg_warn("HTTP transport gives up on %s for now: %s", s->h->url, why);
}

static int start(struct send_ctx *s, struct cg_http_slot *sl, size_t idx, struct cg_err *err)
{
    const struct cg_http_msg *m = &s->msgs[idx];
    struct curl_slist *hdr = s->h->headers_xml, *own = NULL;
    struct job *j = &s->jobs[idx];
    const char *bad = NULL;
    CURL *e = sl->easy;
    int rc;

    if (m->content_type != NULL) {
        char line[200];

        snprintf(line, sizeof(line), "Content-Type: %s", m->content_type);
        if ((own = curl_slist_append(NULL, "Expect:")) == NULL ||
            curl_slist_append(own, line) == NULL) {
            curl_slist_free_all(own);
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        }
        hdr = own;
    }
    curl_slist_free_all(sl->own_headers);
    sl->own_headers = own;
    cg_buf_reset(&sl->body);
    sl->errbuf[0] = '\0';
    SETOPT(e, CURLOPT_URL, s->h->url);
    SETOPT(e, CURLOPT_POST, 1L);
    SETOPT(e, CURLOPT_POSTFIELDS, m->body);
    SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->len);
    SETOPT(e, CURLOPT_HTTPHEADER, hdr);
    SETOPT(e, CURLOPT_WRITEDATA, &sl->body);
    if (bad != NULL)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option %s", bad);
    if (curl_multi_add_handle(s->multi, e) != CURLM_OK)
        return CG_ERR_SET(err, CG_ERR, "curl_multi_add_handle failed");
    rc = CG_OK;
    sl->busy = true;
    sl->job = idx;
    if (j->attempts == 0)
        j->first_ms = cg_http_now_ms();
    j->attempts++;
    s->h->stats.requests++;
    cg_debug("POST %s: message %s, attempt %d", s->h->url, guid_of(m), j->attempts);
    return rc;
}

/* A transfer ended: decide, then report or schedule a retry. Returns the callback's value. */
static int finish(struct send_ctx *s, struct cg_http_slot *sl, CURLcode cc, struct cg_err *err)
{
    struct cg_http_answer a;
    size_t idx = sl->job;
    struct job *j = &s->jobs[idx];
    long conns = 0;
    int64_t now, delay;
    int retry = j->attempts; /* number of the retry that would come next */
    const char *ans = cg_buf_str(&sl->body);

    curl_multi_remove_handle(s->multi, sl->easy);
    sl->busy = false;
    if (curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
        s->h->stats.connections += conns;
    cg_http_classify(sl->easy, cc, sl->errbuf, &sl->body, &a);
    j->status = a.status;
    j->retry_after = a.retry_after;

    switch (a.verdict) {
    case CG_HTTP_V_ACK: return report(s, idx, CG_HTTP_ACKED, NULL, NULL, &a, ans);
    case CG_HTTP_V_REJECT: return report(s, idx, CG_HTTP_REJECTED, a.code, a.text, &a, ans);
    case CG_HTTP_V_ENDPOINT:
        give_up(s, a.rc, a.text);
        if (a.rc == CG_ECONFIG) /* the setting to look at: the token, the certificate, the URL */
            CG_ERR_SET(err, a.rc, "%s: %s (%s)", s->h->url, a.text,
                       cg_http_endpoint_hint(&a, "url"));
        else
            CG_ERR_SET(err, a.rc, "%s: %s", s->h->url, a.text);
        return report(s, idx, CG_HTTP_RETRY_LATER, NULL, a.text, &a, ans);
    case CG_HTTP_V_RETRY: break;
    }
    cg_debug("message %s attempt %d: %s", guid_of(&s->msgs[idx]), j->attempts, a.text);
    if (s->gave_up)
        return report(s, idx, CG_HTTP_RETRY_LATER, NULL, a.text, &a, ans);
    now = cg_http_now_ms();
    if (retry > s->h->max_retries) {
        char why[CG_HTTP_TEXT_MAX + 64];

        snprintf(why, sizeof(why), "%d attempts failed, last: %s", j->attempts, a.text);
        give_up(s, CG_ERETRY, why);
        CG_ERR_SET(err, CG_ERETRY, "%s: %s", s->h->url, why);
        return report(s, idx, CG_HTTP_RETRY_LATER, NULL, why, &a, ans);
    }
    delay = cg_http_backoff_ms(s->h, retry, a.retry_after);
    if (now + delay > j->first_ms + s->h->retry_deadline_ms) {
        char why[CG_HTTP_TEXT_MAX + 64];

        snprintf(why, sizeof(why), "retry deadline reached after %d attempt%s, last: %s",
                 j->attempts, j->attempts == 1 ? "" : "s", a.text);
        give_up(s, CG_ERETRY, why);
        CG_ERR_SET(err, CG_ERETRY, "%s: %s", s->h->url, why);
        return report(s, idx, CG_HTTP_RETRY_LATER, NULL, why, &a, ans);
    }
    j->due_ms = now + delay;
    s->h->stats.retries++;
    if (heap_push(&s->wait, s->jobs, idx) != CG_OK)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return CG_OK;
}

/* Read what curl has: transfers that ended are decided (finish). */
static int collect(struct send_ctx *s, size_t nslots, size_t *active, struct cg_err *soft,
                   struct cg_err *err)
{
    int running = 0, left, rc;
    CURLMsg *cm;

    if (curl_multi_perform(s->multi, &running) != CURLM_OK)
        return CG_ERR_SET(err, CG_ERR, "curl_multi_perform failed");
    while ((cm = curl_multi_info_read(s->multi, &left)) != NULL) {
        struct cg_http_slot *sl = NULL;

        if (cm->msg != CURLMSG_DONE)
            continue;
        for (size_t i = 0; i < nslots; i++)
            if (s->slots[i].busy && s->slots[i].easy == cm->easy_handle)
                sl = &s->slots[i];
        if (sl == NULL)
            continue;
        (*active)--;
        rc = finish(s, sl, cm->data.result, soft);
        if (rc != CG_OK) {
            if (rc == CG_ENOMEM)
                CG_ERR_SET(err, rc, "out of memory");
            return rc;
        }
    }
    return CG_OK;
}

/*
 * A stop request: no more attempts. Transfers still in flight are abandoned and reported as not
 * acknowledged; what waits for a retry and what was never tried is reported at the top of the
 * send loop, like after giving up.
 */
static int stop_now(struct send_ctx *s, size_t nslots, size_t *active, struct cg_err *soft)
{
    static const char why[] = "stopped on request before the port acknowledged it";
    int rc;

    s->stopped = true;
    if (!s->gave_up) {
        s->gave_up = true;
        s->gave_up_rc = CG_ERETRY;
        cg_strlcpy(s->gave_up_why, why, sizeof(s->gave_up_why));
        CG_ERR_SET(soft, CG_ERETRY,
                   "%s: stopped on request; messages not acknowledged stay queued for the next run",
                   s->h->url);
    }
    cg_info("HTTP transport: stop requested, %zu transfer%s abandoned", *active,
            *active == 1 ? "" : "s");
    for (size_t i = 0; i < nslots; i++) {
        struct cg_http_slot *sl = &s->slots[i];

        if (!sl->busy)
            continue;
        curl_multi_remove_handle(s->multi, sl->easy);
        sl->busy = false;
        (*active)--;
        if ((rc = report(s, sl->job, CG_HTTP_RETRY_LATER, NULL, why, NULL, NULL)) != CG_OK)
            return rc;
    }
    return CG_OK;
}

int cg_http_send(struct cg_http *h, const struct cg_http_msg *msgs, size_t n, cg_http_outcome_fn fn,
                 void *ctx, struct cg_err *err)
{
    struct send_ctx s;
    struct cg_err soft;
    size_t next_new = 0, active = 0, nslots;
    int rc = CG_OK;

    memset(&s, 0, sizeof(s));
    cg_err_clear(&soft);
    if (h->url == NULL)
        return CG_ERR_SET(err, CG_ECONFIG, "[transport] url: not set");
    if (n == 0)
        return CG_OK;
    nslots = (size_t)h->parallel < n ? (size_t)h->parallel : n;
    s.h = h;
    s.msgs = msgs;
    s.fn = fn;
    s.ctx = ctx;
    s.slots = h->slots;
    s.multi = h->multi;
    s.jobs = calloc(n, sizeof(*s.jobs));
    if (s.jobs == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }

    for (;;) {
        int64_t now = cg_http_now_ms();
        long wait_ms;

        /* Stop requested: the answers already in are recorded, the rest is abandoned. */
        if (!s.stopped && cg_http_stopped(h)) {
            if (active > 0 && (rc = collect(&s, nslots, &active, &soft, err)) != CG_OK)
                goto done;
            if ((rc = stop_now(&s, nslots, &active, &soft)) != CG_OK)
                goto done;
        }
        /* Once given up, what waits for a retry and what was never tried is reported. */
        while (s.gave_up && s.wait.n > 0) {
            size_t idx = heap_pop(&s.wait, s.jobs);

            if ((rc = report(&s, idx, CG_HTTP_RETRY_LATER, NULL, s.gave_up_why, NULL, NULL)) !=
                CG_OK)
                goto done;
        }
        while (s.gave_up && next_new < n) {
            if ((rc = report(&s, next_new++, CG_HTTP_RETRY_LATER, NULL, s.gave_up_why, NULL,
                             NULL)) != CG_OK)
                goto done;
        }
        /* Fill free slots: due retries first, then new messages. */
        for (size_t i = 0; i < nslots && !s.gave_up; i++) {
            size_t idx;

            if (s.slots[i].busy)
                continue;
            if (s.wait.n > 0 && s.jobs[s.wait.v[0]].due_ms <= now)
                idx = heap_pop(&s.wait, s.jobs);
            else if (next_new < n)
                idx = next_new++;
            else
                break;
            if ((rc = start(&s, &s.slots[i], idx, err)) != CG_OK)
                goto done;
            active++;
        }
        if (active == 0 && s.wait.n == 0 && (next_new >= n || s.gave_up))
            break;

        if ((rc = collect(&s, nslots, &active, &soft, err)) != CG_OK)
            goto done;

        /* Sleep until curl has something, or the first waiting retry is due. */
        now = cg_http_now_ms();
        if (!s.gave_up && active < nslots &&
            (next_new < n || (s.wait.n > 0 && s.jobs[s.wait.v[0]].due_ms <= now))) {
            wait_ms = 0;
        } else {
            /* Nothing in flight and nothing waiting: the loop ends at its top. */
            wait_ms = active > 0 ? 1000 : (s.wait.n > 0 && !s.gave_up ? 60000 : 0);
            if (s.wait.n > 0 && !s.gave_up) {
                int64_t d = s.jobs[s.wait.v[0]].due_ms - now;

                if (d < wait_ms)
                    wait_ms = d < 0 ? 0 : (long)d;
            }
        }
        /* With a stop flag, look at it at least every slice, also during a long Retry-After. */
        if (h->stop != NULL && wait_ms > CG_HTTP_STOP_SLICE_MS)
            wait_ms = CG_HTTP_STOP_SLICE_MS;
        if (wait_ms > 0 && curl_multi_poll(s.multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK) {
            rc = CG_ERR_SET(err, CG_ERR, "curl_multi_poll failed");
            goto done;
        }
    }
    rc = s.gave_up ? s.gave_up_rc : CG_OK;
    if (rc != CG_OK && err != NULL)
        *err = soft;

done:
    /* Stopped early: transfers still in flight are abandoned (they count as unacknowledged). */
    for (size_t i = 0; i < nslots && s.slots != NULL; i++) {
        if (s.slots[i].busy) {
            curl_multi_remove_handle(s.multi, s.slots[i].easy);
            s.slots[i].busy = false;
        }
    }
    free(s.wait.v);
    free(s.jobs);
    return rc;
}
