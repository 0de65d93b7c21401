/*
 * test-http.c - the HTTP(S) transport against a real libmicrohttpd server on loopback: retries
 * (503, 429, closed connections, timeouts) with backoff and Retry-After, final rejections with
 * the port's body, the retry deadline, parallel transfers and keep-alive, receipts paging, and
 * TLS with certificates made by tests/data/http/mkcerts.sh (untrusted port refused, wrong host
 * name refused, mutual TLS with an encrypted client key, missing client certificate refused), and
 * the token file read when the transport starts (missing, unreadable, empty refused).
 *
 * The server counts what it sees (requests, connections, concurrent requests, attempts per
 * message, retries that came before Retry-After allowed); the tests assert on those counts,
 * never on elapsed time.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/conf.h"
#include "core/err.h"
#include "core/fsutil.h"
#include "core/init.h"
#include "spool/spool.h"
#include "mapping/mapping.h"
#include "declare/declare.h"

/* ------------------------------------------------------------------ the test server */

enum mode {
    M_OK,          /* 200 accepted */
    M_FAIL,        /* fail_times failures per message (see fail), then 200 */
    M_REJECT_JSON, /* 400 with the port's JSON rejection */
    M_REJECT_TEXT, /* 422 with a plain-text body */
    M_SYNC_REJECT, /* 200 with "result":"rejected" */
    M_ALWAYS_503,
    M_404,
};

enum fail { F_503, F_429, F_CLOSE, F_SLOW };

struct key_state {
    char key[64];
    int attempts;
    bool accepted;       /* answered 200 accepted once: later answers say duplicate */
    int64_t earliest_ms; /* Retry-After: no retry before this (wall clock) */
};

struct srv {
    struct MHD_Daemon *d;
    unsigned short port;
    pthread_mutex_t mu;
    /* behaviour */
    enum mode mode;
    enum fail fail;
    int fail_times;
    int retry_after;       /* seconds; 0: no header */
    bool retry_after_date; /* send it as an HTTP date */
    int delay_ms;          /* before every answer */
    int slow_ms;           /* F_SLOW: the failing attempts take this long */
    const char *slow_if;   /* M_OK: a body containing this text is answered after slow_ms */
    bool require_client_cert;
    int receipts_total, page_size, receipts_fail_times;
    bool receipts_garbage;
    bool receipts_plain_format; /* "xml_base64" and no "more" (the format first agreed on) */
    /* what it saw */
    int requests, connections, inflight, max_inflight, accepted, early, receipt_gets;
    char content_type[128];
    char authorization[128]; /* of the last POST */
    struct key_state keys[256];
    int nkeys;
    char *tls_mem[3];
};

struct req {
    char body[4096];
    size_t len;
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void msleep(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *ctype,
                              const char *body, const char *retry_after)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                        MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    if (retry_after != NULL)
        MHD_add_response_header(r, "Retry-After", retry_after);
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static bool client_cert_ok(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    unsigned int n = 0, st = 0;
    gnutls_session_t sess;

    if (ci == NULL)
        return false;
    sess = (gnutls_session_t)ci->tls_session;
    if (gnutls_certificate_get_peers(sess, &n) == NULL || n == 0)
        return false;
    return gnutls_certificate_verify_peers2(sess, &st) == 0 && st == 0;
}

static enum MHD_Result receipts_page(struct srv *s, struct MHD_Connection *c)
{
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    long from = since ? strtol(since, NULL, 10) : 0, to;
    json_t *root, *list;
    char *text;
    enum MHD_Result ret;
    bool fail;

    pthread_mutex_lock(&s->mu);
    fail = ++s->receipt_gets <= s->receipts_fail_times;
    pthread_mutex_unlock(&s->mu);
    if (fail)
        return answer(c, 503, "text/plain", "busy", NULL);
    if (s->receipts_garbage)
        return answer(c, 200, "application/json", "{\"receipts\": \"nope\"}", NULL);
    root = json_object();
    list = json_array();
    to = from + s->page_size < s->receipts_total ? from + s->page_size : s->receipts_total;
    for (long id = from + 1; id <= to; id++) {
        char xml[128], b64[256];
        json_t *r = json_object();

        snprintf(xml, sizeof(xml), "<CEB604Message receipt=\"%ld\"/>", id);
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)xml, (int)strlen(xml));
        json_object_set_new(r, "id", json_integer(id));
        json_object_set_new(r, "type", json_string("CEB604Message"));
        if (s->receipts_plain_format) {
            json_object_set_new(r, "xml_base64", json_string(b64));
        } else {
            json_object_set_new(r, "guid", json_string("RECEIPT-GUID"));
            json_object_set_new(r, "docGuid", json_string("DOC-GUID"));
            json_object_set_new(r, "status", json_string("120"));
            json_object_set_new(r, "xml", json_string(b64));
        }
        json_array_append_new(list, r);
    }
    json_object_set_new(root, "next", json_integer(to > from ? to : from));
    json_object_set_new(root, "receipts", list);
    if (!s->receipts_plain_format)
        json_object_set_new(root, "more", json_boolean(to < s->receipts_total));
    text = json_dumps(root, JSON_COMPACT);
    ret = answer(c, 200, "application/json", text, NULL);
    free(text);
    json_decref(root);
    return ret;
}

static struct key_state *key_of(struct srv *s, const char *body)
{
    for (int i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].key, body) == 0)
            return &s->keys[i];
    if (s->nkeys == (int)(sizeof(s->keys) / sizeof(s->keys[0])) ||
        snprintf(s->keys[s->nkeys].key, sizeof(s->keys[0].key), "%s", body) >=
            (int)sizeof(s->keys[0].key))
        return NULL;
    return &s->keys[s->nkeys++];
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct srv *s = cls;
    struct req *r = *con_cls;
    struct key_state *ks;
    char ra[64];
    json_t *reply;
    char *text;
    enum MHD_Result ret;
    const char *ra_hdr = NULL, *ct, *auth;
    int attempt;

    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        *con_cls = r;
        pthread_mutex_lock(&s->mu);
        s->requests++;
        if (++s->inflight > s->max_inflight)
            s->max_inflight = s->inflight;
        pthread_mutex_unlock(&s->mu);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        size_t n = *upload_size;

        if (n > sizeof(r->body) - 1 - r->len)
            n = sizeof(r->body) - 1 - r->len;
        memcpy(r->body + r->len, upload, n);
        r->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    if (s->delay_ms > 0)
        msleep(s->delay_ms);
    if (s->require_client_cert && !client_cert_ok(c))
        return answer(c, 403, "application/json",
                      "{\"result\":\"rejected\",\"code\":\"1999\","
                      "\"text\":\"a client certificate is required\"}",
                      NULL);
    if (strcmp(method, "GET") == 0 && strcmp(url, "/receipts") == 0)
        return receipts_page(s, c);
    if (strcmp(method, "POST") != 0)
        return answer(c, 405, "text/plain", "method not allowed", NULL);

    ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&s->mu);
    snprintf(s->content_type, sizeof(s->content_type), "%s", ct ? ct : "");
    snprintf(s->authorization, sizeof(s->authorization), "%s", auth ? auth : "");
    ks = key_of(s, r->body);
    if (ks == NULL) {
        pthread_mutex_unlock(&s->mu);
        return MHD_NO;
    }
    attempt = ++ks->attempts;
    if (ks->earliest_ms != 0 && wall_ms() < ks->earliest_ms)
        s->early++;
    ks->earliest_ms = 0;
    if ((s->mode == M_FAIL && attempt <= s->fail_times) && s->retry_after > 0 &&
        (s->fail == F_503 || s->fail == F_429)) {
        if (s->retry_after_date) {
            time_t t = time(NULL) + s->retry_after;
            struct tm tm;

            gmtime_r(&t, &tm);
            strftime(ra, sizeof(ra), "%a, %d %b %Y %H:%M:%S GMT", &tm);
            ks->earliest_ms = (int64_t)t * 1000;
        } else {
            snprintf(ra, sizeof(ra), "%d", s->retry_after);
            ks->earliest_ms = wall_ms() + (int64_t)s->retry_after * 1000;
        }
        ra_hdr = ra;
    }
    pthread_mutex_unlock(&s->mu);

    switch (s->mode) {
    case M_FAIL:
        if (attempt > s->fail_times)
            break;
        switch (s->fail) {
        case F_503:
            return answer(c, 503, "application/json",
                          "{\"result\":\"retry\",\"code\":\"3999\",\"text\":\"overloaded\"}",
                          ra_hdr);
        case F_429: return answer(c, 429, "text/plain", "slow down", ra_hdr);
        case F_CLOSE: return MHD_NO;
        case F_SLOW: msleep(s->slow_ms); break;
        }
        break;
    case M_REJECT_JSON:
        return answer(c, 422, "application/json",
                      "{\"result\":\"rejected\",\"code\":\"0002\","
                      "\"text\":\"schema: line 3: element orderNo: missing\"}",
                      NULL);
    case M_REJECT_TEXT: return answer(c, 400, "text/plain", "bad request body\n", NULL);
    case M_SYNC_REJECT:
        return answer(c, 200, "application/json",
                      "{\"result\":\"rejected\",\"code\":\"1001\",\"text\":\"bad signature\"}",
                      NULL);
    case M_ALWAYS_503: return answer(c, 503, "text/plain", "down for maintenance", NULL);
    case M_404: return answer(c, 404, "text/html", "<h1>Not Found</h1>", NULL);
    case M_OK:
        if (s->slow_if != NULL && strstr(r->body, s->slow_if) != NULL)
            msleep(s->slow_ms);
        break;
    }
    pthread_mutex_lock(&s->mu);
    s->accepted++;
    reply = json_pack("{s:s, s:s, s:s, s:b}", "result", "accepted", "code", "0000", "guid", r->body,
                      "duplicate", ks->accepted);
    ks->accepted = true;
    pthread_mutex_unlock(&s->mu);
    text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    ret = answer(c, 200, "application/json", text, NULL);
    free(text);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct srv *s = cls;

    if (*con_cls == NULL)
        return;
    free(*con_cls);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->inflight--;
    pthread_mutex_unlock(&s->mu);
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    struct srv *s = cls;

    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&s->mu);
    s->connections++;
    pthread_mutex_unlock(&s->mu);
}

static char certdir[64];

static char *slurp(const char *name)
{
    char path[256];
    struct cg_buf b;

    snprintf(path, sizeof(path), "%s/%s", certdir, name);
    cg_buf_init(&b, 1 << 20);
    assert_int_equal(cg_fs_read(path, 1 << 20, &b, NULL), CG_OK);
    return cg_buf_take(&b);
}

/* Start on 127.0.0.1, a free port. cert: NULL for plain HTTP, else "server", "rogue", ... */
static void srv_start(struct srv *s, const char *cert, bool trust_ca)
{
    struct sockaddr_in sa;
    struct MHD_OptionItem opt[8];
    char *key = NULL, *crt = NULL, *ca = NULL;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    int n = 0;

    pthread_mutex_init(&s->mu, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    opt[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    opt[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, s};
    opt[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn, s};
    if (cert != NULL) {
        char name[64];

        flags |= MHD_USE_TLS;
        snprintf(name, sizeof(name), "%s.key", cert);
        key = slurp(name);
        snprintf(name, sizeof(name), "%s.pem", cert);
        crt = slurp(name);
        opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, key};
        opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, crt};
        if (trust_ca) {
            ca = slurp("ca.pem");
            opt[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, ca};
        }
    }
    opt[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->d =
        MHD_start_daemon(flags, 0, NULL, NULL, handler, s, MHD_OPTION_ARRAY, opt, MHD_OPTION_END);
    assert_non_null(s->d);
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    /* MHD copies nothing: the PEM texts must live while the daemon runs. */
    s->tls_mem[0] = key;
    s->tls_mem[1] = crt;
    s->tls_mem[2] = ca;
}

static void srv_stop(struct srv *s)
{
    if (s->d != NULL)
        MHD_stop_daemon(s->d);
    s->d = NULL;
    for (int i = 0; i < 3; i++)
        free(s->tls_mem[i]);
    pthread_mutex_destroy(&s->mu);
}

/* ------------------------------------------------------------------ the client side */

#define NMAX 64

struct results {
    int n;
    struct {
        bool seen;
        enum cg_http_result result;
        long status;
        char code[32];
        char text[512];
        int attempts;
        long retry_after;
        bool duplicate;
        char answer[256];
    } r[NMAX];
    int stop_after; /* return an error from the callback after this many outcomes (0: never) */
};

static int on_outcome(const struct cg_http_msg *m, const struct cg_http_outcome *o, void *ctx)
{
    struct results *res = ctx;
    int i = (int)(intptr_t)m->user;

    assert_true(i >= 0 && i < NMAX);
    assert_false(res->r[i].seen); /* one outcome per message */
    res->r[i].seen = true;
    res->r[i].result = o->result;
    res->r[i].status = o->http_status;
    snprintf(res->r[i].code, sizeof(res->r[i].code), "%s", o->code);
    snprintf(res->r[i].text, sizeof(res->r[i].text), "%s", o->text);
    res->r[i].attempts = o->attempts;
    res->r[i].retry_after = o->retry_after_s;
    res->r[i].duplicate = o->duplicate;
    snprintf(res->r[i].answer, sizeof(res->r[i].answer), "%s", o->answer);
    res->n++;
    if (res->stop_after > 0 && res->n >= res->stop_after)
        return CG_EIO;
    return CG_OK;
}

static char bodies[NMAX][40];
static struct cg_http_msg msgs[NMAX];

static void make_msgs(int n, const char *tag)
{
    for (int i = 0; i < n; i++) {
        snprintf(bodies[i], sizeof(bodies[i]), "<m guid=\"%s-%02d\"/>", tag, i);
        msgs[i].guid = bodies[i];
        msgs[i].body = bodies[i];
        msgs[i].len = strlen(bodies[i]);
        msgs[i].content_type = NULL;
        msgs[i].user = (void *)(intptr_t)i;
    }
}

static char url[128], rurl[128];

/* Options for a test: fast backoff, short timeouts. */
static struct cg_http_opts opts_for(const struct srv *s, bool tls)
{
    struct cg_http_opts o;

    memset(&o, 0, sizeof(o));
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u/messages", tls ? "https" : "http", s->port);
    snprintf(rurl, sizeof(rurl), "%s://127.0.0.1:%u/receipts", tls ? "https" : "http", s->port);
    o.url = url;
    o.receipts_url = rurl;
    o.parallel = 4;
    o.connect_timeout_ms = 5000;
    o.timeout_ms = 10000;
    o.max_retries = 5;
    o.retry_deadline_ms = 20000;
    o.retry_base_ms = 20;
    o.retry_max_delay_ms = 200;
    return o;
}

static int send_all(const struct cg_http_opts *o, int n, struct results *res, struct cg_err *err)
{
    struct cg_http *h = NULL;
    int rc;

    memset(res, 0, sizeof(*res));
    assert_int_equal(cg_http_new(o, &h, err), CG_OK);
    rc = cg_http_send(h, msgs, (size_t)n, on_outcome, res, err);
    cg_http_free(h);
    return rc;
}

static int count_result(const struct results *res, int n, enum cg_http_result r)
{
    int k = 0;

    for (int i = 0; i < n; i++)
        k += res->r[i].seen && res->r[i].result == r;
    return k;
}

/* ------------------------------------------------------------------ tests: plain HTTP */

static void test_parallel_keepalive(void **state)
{
    struct srv s = {.mode = M_OK, .delay_ms = 100};
    struct cg_http_opts o;
    struct cg_http_stats st;
    struct cg_http *h = NULL;
    struct results res;
    struct cg_err err;
    int conns;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(12, "par");
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    assert_int_equal(cg_http_send(h, msgs, 12, on_outcome, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 12, CG_HTTP_ACKED), 12);
    assert_int_equal(res.r[0].status, 200);
    assert_int_equal(res.r[0].attempts, 1);
    assert_false(res.r[0].duplicate);
    assert_non_null(strstr(res.r[0].answer, "\"result\":\"accepted\""));
    assert_int_equal(s.accepted, 12);
    assert_string_equal(s.content_type, "application/xml");
    /* Transfers overlapped, never more than parallel at once. */
    assert_true(s.max_inflight >= 2);
    assert_true(s.max_inflight <= 4);
    /* Keep-alive: at most one connection per slot, fewer connections than requests. */
    assert_true(s.connections <= 4);
    assert_true(s.connections < s.requests);
    conns = s.connections;

    /* The next batch reuses the same connections. */
    make_msgs(8, "par2");
    memset(&res, 0, sizeof(res));
    msgs[3].content_type = "application/xml; charset=utf-8";
    assert_int_equal(cg_http_send(h, msgs, 8, on_outcome, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 8, CG_HTTP_ACKED), 8);
    assert_int_equal(s.connections, conns);
    cg_http_get_stats(h, &st);
    assert_int_equal(st.requests, 20);
    assert_int_equal(st.connections, conns);
    assert_int_equal(st.retries, 0);
    cg_http_free(h);
    srv_stop(&s);
}

/* Write text (may be NULL: no file) to dir/name; the path into path. */
static void token_at(const char *dir, const char *name, const char *text, char *path, size_t size)
{
    FILE *fp;

    snprintf(path, size, "%s/%s", dir, name);
    if (text == NULL)
        return;
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* cg_http_new() with token_file path is refused with "[transport] token_file PATH: why". */
static void expect_token_refused(const char *path, const char *why)
{
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct cg_err err;
    char want[512];

    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:9/messages";
    o.token_file = path;
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    assert_null(h);
    snprintf(want, sizeof(want), "[transport] token_file %s: %s", path, why);
    assert_string_equal(err.msg, want);
    assert_null(strstr(err.msg, "s3cret"));
}

/*
 * [transport] token_file is read when the transport starts: missing, unreadable, or with an
 * empty first line it is a configuration error naming the setting and the file (an empty token
 * used to be sent as no token at all, each message then refused 401 by the port); the token is
 * never in the message. The token is its first line without the white space that ends it, as
 * the port reads its senders' token files.
 */
static void test_token_file(void **state)
{
    struct srv s = {.mode = M_OK};
    char dir[64], path[128];
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    snprintf(dir, sizeof(dir), "/tmp/cg-test-token.XXXXXX");
    assert_non_null(mkdtemp(dir));
    token_at(dir, "none.token", NULL, path, sizeof(path));
    expect_token_refused(path, "no such file");
    token_at(dir, "empty.token", "", path, sizeof(path));
    expect_token_refused(path, "the first line is empty (the token is the first line)");
    token_at(dir, "blank.token", " \t\r\ns3cret\n", path, sizeof(path));
    expect_token_refused(path, "the first line is empty (the token is the first line)");
    {
        /* at most 4096 bytes, as the port allows; a NUL byte would cut the token short */
        char big[4098];
        FILE *fp;

        memset(big, 'x', 4097);
        big[4097] = '\0';
        token_at(dir, "big.token", big, path, sizeof(path));
        expect_token_refused(path, "larger than the limit of 4096 bytes");
        unlink(path);
        token_at(dir, "nul.token", NULL, path, sizeof(path));
        fp = fopen(path, "w");
        assert_non_null(fp);
        assert_int_equal(fwrite("ab\0cd\n", 1, 6, fp), 6);
        fclose(fp);
        expect_token_refused(path, "the first line holds a NUL byte");
        unlink(path);
    }
    token_at(dir, "dir.token", NULL, path, sizeof(path));
    assert_int_equal(mkdir(path, 0700), 0);
    expect_token_refused(path, "cannot read: Is a directory");
    rmdir(path);
    if (geteuid() != 0) {
        /* root reads a file of mode 000 */
        token_at(dir, "closed.token", "s3cret\n", path, sizeof(path));
        assert_int_equal(chmod(path, 0), 0);
        expect_token_refused(path, "cannot read: Permission denied");
        unlink(path);
    }

    /* A good token goes out as Authorization: Bearer, without the white space ending its line. */
    token_at(dir, "good.token", "s3cret-token-0001 \t\r\nsecond line\n", path, sizeof(path));
    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.token_file = path;
    make_msgs(1, "tok");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 1, CG_HTTP_ACKED), 1);
    assert_string_equal(s.authorization, "Bearer s3cret-token-0001");
    srv_stop(&s);
    unlink(path);
    token_at(dir, "none.token", NULL, path, sizeof(path));
    unlink(path);
    token_at(dir, "empty.token", NULL, path, sizeof(path));
    unlink(path);
    token_at(dir, "blank.token", NULL, path, sizeof(path));
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void test_parallel_one(void **state)
{
    struct srv s = {.mode = M_OK, .delay_ms = 30};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.parallel = 1;
    make_msgs(5, "one");
    assert_int_equal(send_all(&o, 5, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 5, CG_HTTP_ACKED), 5);
    assert_int_equal(s.max_inflight, 1);
    assert_int_equal(s.connections, 1);
    srv_stop(&s);
}

static void test_retry_503_then_ok(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_503, .fail_times = 2};
    struct cg_http_opts o;
    struct cg_http_stats st;
    struct cg_http *h = NULL;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(3, "r503");
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    assert_int_equal(cg_http_send(h, msgs, 3, on_outcome, &res, &err), CG_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(res.r[i].result, CG_HTTP_ACKED);
        assert_int_equal(res.r[i].attempts, 3);
        assert_int_equal(s.keys[i].attempts, 3);
    }
    cg_http_get_stats(h, &st);
    assert_int_equal(st.retries, 6);
    assert_int_equal(st.requests, 9);
    assert_int_equal(s.accepted, 3);
    cg_http_free(h);
    srv_stop(&s);
}

static void test_resend_same_guid(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(3, "resend");
    assert_int_equal(send_all(&o, 3, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 3, CG_HTTP_ACKED), 3);
    assert_false(res.r[1].duplicate);
    /* After a crash the unacknowledged are sent again with the same guid: the port answers
     * accepted, duplicate, and the sender counts that as acknowledged. */
    assert_int_equal(send_all(&o, 3, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 3, CG_HTTP_ACKED), 3);
    assert_true(res.r[1].duplicate);
    assert_int_equal(s.keys[1].attempts, 2);
    srv_stop(&s);
}

static void test_retry_after_seconds(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_503, .fail_times = 1, .retry_after = 1};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(2, "ra");
    assert_int_equal(send_all(&o, 2, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 2, CG_HTTP_ACKED), 2);
    assert_int_equal(res.r[0].attempts, 2);
    assert_int_equal(s.requests, 4);
    /* The backoff (20..200 ms) alone would have come back early: Retry-After won. */
    assert_int_equal(s.early, 0);
    srv_stop(&s);
}

static void test_retry_after_date_429(void **state)
{
    struct srv s = {
        .mode = M_FAIL, .fail = F_429, .fail_times = 1, .retry_after = 2, .retry_after_date = true};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(1, "radate");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_ACKED);
    assert_int_equal(res.r[0].attempts, 2);
    assert_int_equal(s.keys[0].attempts, 2);
    assert_int_equal(s.early, 0);
    srv_stop(&s);
}

static void test_retry_after_past_deadline(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_503, .fail_times = 1, .retry_after = 3600};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.retry_deadline_ms = 5000;
    make_msgs(1, "ralong");
    /* The port asks for an hour: not waited for in this run, handed back with the hint. */
    assert_int_equal(send_all(&o, 1, &res, &err), CG_ERETRY);
    assert_int_equal(res.r[0].result, CG_HTTP_RETRY_LATER);
    assert_int_equal(res.r[0].retry_after, 3600);
    assert_non_null(strstr(res.r[0].text, "overloaded"));
    assert_non_null(strstr(res.r[0].text, "3999"));
    assert_int_equal(res.r[0].status, 503);
    assert_int_equal(s.requests, 1);
    srv_stop(&s);
}

static void test_closed_connection(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_CLOSE, .fail_times = 2};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(4, "close");
    assert_int_equal(send_all(&o, 4, &res, &err), CG_OK);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(res.r[i].result, CG_HTTP_ACKED);
        assert_int_equal(res.r[i].attempts, 3);
    }
    assert_int_equal(s.accepted, 4);
    srv_stop(&s);
}

static void test_timeout(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_SLOW, .fail_times = 1, .slow_ms = 1500};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.timeout_ms = 300;
    make_msgs(1, "slow");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_ACKED);
    assert_int_equal(res.r[0].attempts, 2);
    assert_int_equal(s.keys[0].attempts, 2);
    /* The port may have taken the first copy after the sender gave up on it; the re-send
     * carries the same guid so the port can tell. */
    assert_string_equal(s.keys[0].key, bodies[0]);
    srv_stop(&s);
}

static void test_reject_json(void **state)
{
    struct srv s = {.mode = M_REJECT_JSON};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(2, "rej");
    assert_int_equal(send_all(&o, 2, &res, &err), CG_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res.r[i].result, CG_HTTP_REJECTED);
        assert_int_equal(res.r[i].status, 422);
        assert_string_equal(res.r[i].code, "0002");
        assert_string_equal(res.r[i].text, "schema: line 3: element orderNo: missing");
        assert_int_equal(res.r[i].attempts, 1);
    }
    assert_int_equal(s.requests, 2); /* final: no retry */
    srv_stop(&s);
}

static void test_reject_text(void **state)
{
    struct srv s = {.mode = M_REJECT_TEXT};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(1, "rejt");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_REJECTED);
    assert_string_equal(res.r[0].code, "400");
    assert_string_equal(res.r[0].text, "bad request body");
    assert_int_equal(s.requests, 1);
    srv_stop(&s);
}

static void test_sync_reject(void **state)
{
    struct srv s = {.mode = M_SYNC_REJECT};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    make_msgs(1, "sync");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_REJECTED);
    assert_int_equal(res.r[0].status, 200);
    assert_string_equal(res.r[0].code, "1001");
    assert_string_equal(res.r[0].text, "bad signature");
    srv_stop(&s);
}

static void test_deadline(void **state)
{
    struct srv s = {.mode = M_ALWAYS_503};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.max_retries = 100;
    o.retry_deadline_ms = 700;
    make_msgs(1, "dl");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_ERETRY);
    assert_int_equal(res.r[0].result, CG_HTTP_RETRY_LATER);
    assert_int_equal(res.r[0].status, 503);
    assert_true(res.r[0].attempts >= 2);
    assert_true(res.r[0].attempts < 100);
    assert_non_null(strstr(res.r[0].text, "deadline"));
    assert_non_null(strstr(res.r[0].text, "down for maintenance"));
    assert_int_equal(err.code, CG_ERETRY);
    assert_int_equal(s.accepted, 0);
    srv_stop(&s);
}

static void test_max_retries_gives_up_batch(void **state)
{
    struct srv s = {.mode = M_ALWAYS_503, .delay_ms = 40};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;
    int untried = 0;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.parallel = 1;
    o.max_retries = 1;
    o.retry_base_ms = 10;
    make_msgs(20, "mr");
    assert_int_equal(send_all(&o, 20, &res, &err), CG_ERETRY);
    /* Every message got an outcome, none acknowledged; the rest of the batch is not tried
     * once the port is known to be unavailable. */
    assert_int_equal(res.n, 20);
    assert_int_equal(count_result(&res, 20, CG_HTTP_RETRY_LATER), 20);
    assert_int_equal(res.r[0].attempts, 2);
    for (int i = 0; i < 20; i++)
        untried += res.r[i].attempts == 0;
    assert_true(untried > 0);
    assert_true(s.requests < 20);
    srv_stop(&s);
}

static void test_endpoint_404(void **state)
{
    struct srv s = {.mode = M_404};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.parallel = 1;
    make_msgs(5, "nf");
    /* A wrong URL is not the messages' fault: nothing is rejected, nothing retried. */
    assert_int_equal(send_all(&o, 5, &res, &err), CG_ECONFIG);
    assert_int_equal(count_result(&res, 5, CG_HTTP_RETRY_LATER), 5);
    assert_int_equal(res.r[0].status, 404);
    assert_non_null(strstr(res.r[0].text, "404"));
    assert_non_null(strstr(err.msg, "404"));
    assert_int_equal(s.requests, 1);
    srv_stop(&s);
}

static void test_connection_refused(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    srv_stop(&s); /* nobody listens on that port now */
    o.max_retries = 2;
    o.retry_base_ms = 10;
    make_msgs(1, "refused");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_ERETRY);
    assert_int_equal(res.r[0].result, CG_HTTP_RETRY_LATER);
    assert_int_equal(res.r[0].attempts, 3);
    assert_int_equal(res.r[0].status, 0);
}

static void test_callback_stops(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct results res;
    struct cg_http *h = NULL;
    struct cg_err err;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.parallel = 2;
    make_msgs(10, "stop");
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&res, 0, sizeof(res));
    res.stop_after = 3;
    assert_int_equal(cg_http_send(h, msgs, 10, on_outcome, &res, &err), CG_EIO);
    assert_int_equal(res.n, 3);
    /* The handle is still usable. */
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_send(h, msgs, 10, on_outcome, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 10, CG_HTTP_ACKED), 10);
    cg_http_free(h);
    srv_stop(&s);
}

/* ------------------------------------------------------------------ tests: receipts */

struct rctx {
    int n;
    char ids[16][16];
    char cursors[16][16];
    int ncursors;
    int fail_at;
    bool plain;
};

static int on_receipt(const struct cg_http_receipt *r, void *ctx)
{
    struct rctx *rc = ctx;
    char want[128];

    if (rc->fail_at > 0 && rc->n + 1 == rc->fail_at)
        return CG_EDB;
    assert_true(rc->n < 16);
    snprintf(rc->ids[rc->n], sizeof(rc->ids[0]), "%s", r->id);
    snprintf(want, sizeof(want), "<CEB604Message receipt=\"%s\"/>", r->id);
    assert_string_equal(r->xml, want);
    assert_int_equal(r->len, strlen(want));
    assert_string_equal(r->type, "CEB604Message");
    if (rc->plain) {
        assert_string_equal(r->doc_guid, "");
    } else {
        assert_string_equal(r->guid, "RECEIPT-GUID");
        assert_string_equal(r->doc_guid, "DOC-GUID");
        assert_string_equal(r->status, "120");
    }
    rc->n++;
    return CG_OK;
}

static int on_cursor(const char *next, void *ctx)
{
    struct rctx *rc = ctx;

    assert_true(rc->ncursors < 16);
    snprintf(rc->cursors[rc->ncursors++], sizeof(rc->cursors[0]), "%s", next);
    return CG_OK;
}

static void test_receipts_poll(void **state)
{
    struct srv s = {.receipts_total = 5, .page_size = 2, .receipts_fail_times = 1};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct rctx rc;
    struct cg_err err;
    size_t total = 0;
    char *next = NULL;
    size_t count = 99;
    bool more = true;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.url = NULL; /* receipts only */
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&rc, 0, sizeof(rc));
    assert_int_equal(cg_http_receipts_poll(h, NULL, on_receipt, on_cursor, &rc, &total, &err),
                     CG_OK);
    assert_int_equal(total, 5);
    assert_int_equal(rc.n, 5);
    for (int i = 0; i < 5; i++) {
        char want[16];

        snprintf(want, sizeof(want), "%d", i + 1);
        assert_string_equal(rc.ids[i], want);
    }
    assert_int_equal(rc.ncursors, 3);
    assert_string_equal(rc.cursors[0], "2");
    assert_string_equal(rc.cursors[1], "4");
    assert_string_equal(rc.cursors[2], "5");
    /* The first GET got 503 and was retried; then 3 pages, the last saying "more": false. */
    assert_int_equal(s.receipt_gets, 4);

    /* From the stored cursor: nothing new. */
    assert_int_equal(cg_http_receipts_page(h, "5", on_receipt, &rc, &next, &count, &more, &err),
                     CG_OK);
    assert_int_equal(count, 0);
    assert_false(more);
    assert_string_equal(next, "5");
    free(next);
    next = NULL;

    /* The format without "more" and with "xml_base64": paged until an empty page. */
    s.receipts_plain_format = true;
    s.receipt_gets = 0;
    s.receipts_fail_times = 0;
    memset(&rc, 0, sizeof(rc));
    rc.plain = true;
    assert_int_equal(cg_http_receipts_poll(h, "1", on_receipt, on_cursor, &rc, &total, &err),
                     CG_OK);
    assert_int_equal(total, 4);
    assert_string_equal(rc.ids[0], "2");
    assert_int_equal(s.receipt_gets, 3);
    s.receipts_plain_format = false;

    /* The caller fails on the second receipt of a page: no cursor is handed out. */
    memset(&rc, 0, sizeof(rc));
    rc.fail_at = 2;
    assert_int_equal(cg_http_receipts_page(h, "0", on_receipt, &rc, &next, &count, NULL, &err),
                     CG_EDB);
    assert_null(next);
    assert_int_equal(rc.n, 1);
    /* Sending needs a url. */
    assert_int_equal(cg_http_send(h, msgs, 1, on_outcome, NULL, &err), CG_ECONFIG);
    cg_http_free(h);
    srv_stop(&s);
}

static void test_receipts_bad_page(void **state)
{
    struct srv s = {.receipts_garbage = true};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct rctx rc;
    struct cg_err err;
    char *next = NULL;
    size_t count = 0;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&rc, 0, sizeof(rc));
    assert_int_equal(cg_http_receipts_page(h, "0", on_receipt, &rc, &next, &count, NULL, &err),
                     CG_EPARSE);
    assert_non_null(strstr(err.msg, "next"));
    assert_null(next);
    assert_int_equal(rc.n, 0);
    cg_http_free(h);
    srv_stop(&s);
}

/* ------------------------------------------------------------------ tests: stop requests */

/* Raises a stop flag from another thread, as a signal handler would, once the server has seen
 * `requests` POSTs (or `gets` receipts GETs, or `accepted` acknowledgements) and then
 * after_ms: so the flag always comes while the transport waits, however slow the machine. */
struct stopper {
    struct srv *s;
    volatile sig_atomic_t *flag;
    int requests, gets, accepted, after_ms;
    pthread_t thread;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;

    for (;;) {
        bool ready;

        pthread_mutex_lock(&st->s->mu);
        ready = st->s->requests >= st->requests && st->s->receipt_gets >= st->gets &&
                st->s->accepted >= st->accepted;
        pthread_mutex_unlock(&st->s->mu);
        if (ready)
            break;
        msleep(10);
    }
    msleep(st->after_ms);
    *st->flag = 1;
    return NULL;
}

static void stopper_start(struct stopper *st)
{
    assert_int_equal(pthread_create(&st->thread, NULL, stopper_main, st), 0);
}

static void stopper_join(struct stopper *st)
{
    assert_int_equal(pthread_join(st->thread, NULL), 0);
}

/* A port answering 503 with Retry-After: 30 forever; stopped while the batch waits. */
static void test_stop_during_retry_after(void **state)
{
    struct srv s = {.mode = M_FAIL, .fail = F_503, .fail_times = 1000000, .retry_after = 30};
    volatile sig_atomic_t stop = 0;
    struct stopper st = {.flag = &stop, .requests = 6, .after_ms = 300};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct results res;
    struct cg_err err;
    int rc;

    srv_start(&s, NULL, false);
    st.s = &s;
    o = opts_for(&s, false);
    o.max_retries = 3;
    o.retry_deadline_ms = 600000;
    o.stop = &stop;
    make_msgs(6, "halt");
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&res, 0, sizeof(res));
    stopper_start(&st);
    rc = cg_http_send(h, msgs, 6, on_outcome, &res, &err);
    stopper_join(&st);
    assert_int_equal(rc, CG_ERETRY);
    assert_non_null(strstr(err.msg, "stopped on request"));
    /* Every message not acknowledged, each tried once: no retry before Retry-After allowed
     * it, and the call did not wait for it either (it would have retried after 30 s). */
    assert_int_equal(count_result(&res, 6, CG_HTTP_RETRY_LATER), 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(res.r[i].attempts, 1);
        assert_int_equal(res.r[i].status, 503);
        assert_int_equal(res.r[i].retry_after, 30);
        assert_non_null(strstr(res.r[i].text, "stopped"));
    }
    assert_int_equal(s.requests, 6);
    assert_int_equal(s.early, 0);

    /* The next run: the port is well again, the same messages go out and are acknowledged. */
    stop = 0;
    pthread_mutex_lock(&s.mu);
    s.mode = M_OK;
    for (int i = 0; i < s.nkeys; i++)
        s.keys[i].earliest_ms = 0;
    pthread_mutex_unlock(&s.mu);
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_send(h, msgs, 6, on_outcome, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 6, CG_HTTP_ACKED), 6);
    assert_int_equal(s.nkeys, 6); /* the same bodies: nothing new at the port */
    assert_int_equal(s.accepted, 6);
    cg_http_free(h);
    srv_stop(&s);
}

/* Stopped while one answer is slow: the answers in are recorded, the slow one abandoned. */
static void test_stop_abandons_transfer_in_flight(void **state)
{
    struct srv s = {.mode = M_OK, .slow_if = "-01\"", .slow_ms = 2000};
    volatile sig_atomic_t stop = 0;
    struct stopper st = {.flag = &stop, .requests = 4, .accepted = 3, .after_ms = 300};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct results res;
    struct cg_err err;
    int rc;

    srv_start(&s, NULL, false);
    st.s = &s;
    o = opts_for(&s, false);
    make_msgs(4, "slow");
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    cg_http_set_stop(h, &stop);
    memset(&res, 0, sizeof(res));
    stopper_start(&st);
    rc = cg_http_send(h, msgs, 4, on_outcome, &res, &err);
    stopper_join(&st);
    assert_int_equal(rc, CG_ERETRY);
    assert_int_equal(count_result(&res, 4, CG_HTTP_ACKED), 3);
    assert_int_equal(res.r[1].result, CG_HTTP_RETRY_LATER);
    assert_int_equal(res.r[1].attempts, 1);
    assert_int_equal(res.r[1].status, 0); /* no answer came */
    assert_non_null(strstr(res.r[1].text, "stopped"));
    cg_http_free(h);
    srv_stop(&s); /* waits for the slow answer, which nobody reads */
}

/* A flag already set: nothing is sent or fetched. */
static void test_stop_before_start(void **state)
{
    struct srv s = {.mode = M_OK, .receipts_total = 3, .page_size = 10};
    volatile sig_atomic_t stop = 1;
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct results res;
    struct rctx rc;
    struct cg_err err;
    size_t total = 9;

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    o.stop = &stop;
    make_msgs(5, "early");
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_send(h, msgs, 5, on_outcome, &res, &err), CG_ERETRY);
    assert_int_equal(count_result(&res, 5, CG_HTTP_RETRY_LATER), 5);
    assert_int_equal(res.r[4].attempts, 0);
    memset(&rc, 0, sizeof(rc));
    assert_int_equal(cg_http_receipts_poll(h, NULL, on_receipt, on_cursor, &rc, &total, &err),
                     CG_ERETRY);
    assert_int_equal(total, 0);
    assert_int_equal(rc.ncursors, 0);
    assert_int_equal(s.requests, 0);
    /* Without the flag the same handle works. */
    cg_http_set_stop(h, NULL);
    assert_int_equal(cg_http_receipts_poll(h, NULL, on_receipt, on_cursor, &rc, &total, &err),
                     CG_OK);
    assert_int_equal(total, 3);
    cg_http_free(h);
    srv_stop(&s);
}

/* Receipts endpoint down (503) with a long backoff: the poll stops, nothing is handed over. */
static void test_stop_receipts_backoff(void **state)
{
    struct srv s = {.receipts_total = 3, .page_size = 10, .receipts_fail_times = 1000000};
    volatile sig_atomic_t stop = 0;
    struct stopper st = {.flag = &stop, .gets = 1, .after_ms = 300};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct rctx rc;
    struct cg_err err;
    size_t total = 9;
    int r;

    srv_start(&s, NULL, false);
    st.s = &s;
    o = opts_for(&s, false);
    o.url = NULL;
    o.max_retries = 2;
    o.retry_base_ms = 20000; /* the first retry would come 10..20 s later */
    o.retry_max_delay_ms = 60000;
    o.retry_deadline_ms = 600000;
    o.stop = &stop;
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    memset(&rc, 0, sizeof(rc));
    stopper_start(&st);
    r = cg_http_receipts_poll(h, NULL, on_receipt, on_cursor, &rc, &total, &err);
    stopper_join(&st);
    assert_int_equal(r, CG_ERETRY);
    assert_non_null(strstr(err.msg, "stopped on request"));
    assert_int_equal(s.receipt_gets, 1);
    assert_int_equal(rc.n, 0);
    assert_int_equal(rc.ncursors, 0);
    assert_int_equal(total, 0);
    cg_http_free(h);
    srv_stop(&s);
}

/* ------------------------------------------------------------------ tests: spool folders */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_send_files(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct cg_err err;
    char dir[64], link[256];
    const char *names[4] = {"a.xml", "b.xml", "missing.xml", "link.xml"};
    const char *guids[4] = {"GUID-A", NULL, "GUID-M", "GUID-L"};
    int results[4];
    char *details[4];
    int fd;

    assert_true(snprintf(dir, sizeof(dir), "%s/outbox", certdir) < (int)sizeof(dir));
    assert_int_equal(mkdir(dir, 0700), 0);
    write_file(dir, "a.xml", "<m guid=\"A\"/>");
    write_file(dir, "b.xml", "<m guid=\"B\"/>");
    snprintf(link, sizeof(link), "%s/link.xml", dir);
    assert_int_equal(symlink("a.xml", link), 0);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    assert_int_equal(cg_http_send_files(h, fd, names, guids, 4, results, details, &err), CG_OK);
    assert_int_equal(results[0], CG_OK);
    assert_int_equal(results[1], CG_OK);
    assert_int_equal(results[2], CG_ENOTFOUND);
    assert_int_equal(results[3], CG_EIO); /* a symlink is not followed */
    assert_null(details[0]);
    assert_non_null(strstr(details[3], "symbolic link"));
    assert_int_equal(s.accepted, 2);
    assert_int_equal(s.nkeys, 2);
    assert_true(strcmp(s.keys[0].key, "<m guid=\"A\"/>") == 0 ||
                strcmp(s.keys[1].key, "<m guid=\"A\"/>") == 0);
    for (int i = 0; i < 4; i++)
        free(details[i]);

    s.mode = M_REJECT_JSON;
    assert_int_equal(cg_http_send_files(h, fd, names, guids, 2, results, details, &err), CG_OK);
    assert_int_equal(results[0], CG_EREJECT);
    assert_string_equal(details[0], "0002: schema: line 3: element orderNo: missing");
    for (int i = 0; i < 2; i++)
        free(details[i]);

    s.mode = M_ALWAYS_503;
    assert_int_equal(cg_http_send_files(h, fd, names, guids, 1, results, details, &err), CG_ERETRY);
    assert_int_equal(results[0], CG_ERETRY);
    assert_non_null(strstr(details[0], "down for maintenance"));
    free(details[0]);

    cg_http_free(h);
    srv_stop(&s);
    close(fd);
    unlink(link);
}

static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void test_fetch_to_dir(void **state)
{
    struct srv s = {.receipts_total = 5, .page_size = 2};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct cg_err err;
    struct cg_buf b;
    char inbox[64], statedir[64], path[256];
    int in_fd, st_fd;
    size_t count = 0;

    assert_true(snprintf(inbox, sizeof(inbox), "%s/inbox", certdir) < (int)sizeof(inbox));
    assert_true(snprintf(statedir, sizeof(statedir), "%s/state", certdir) < (int)sizeof(statedir));
    assert_int_equal(mkdir(inbox, 0700), 0);
    assert_int_equal(mkdir(statedir, 0700), 0);
    in_fd = open(inbox, O_RDONLY | O_DIRECTORY);
    st_fd = open(statedir, O_RDONLY | O_DIRECTORY);
    assert_true(in_fd >= 0 && st_fd >= 0);

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    assert_int_equal(cg_http_fetch_to_dir(h, in_fd, st_fd, "receipts.cursor", &count, &err), CG_OK);
    assert_int_equal(count, 5);
    assert_int_equal(count_files(inbox, "http-receipt-"), 5);
    cg_buf_init(&b, 4096);
    snprintf(path, sizeof(path), "%s/http-receipt-000000000003.xml", inbox);
    assert_int_equal(cg_fs_read(path, 4096, &b, &err), CG_OK);
    assert_string_equal(cg_buf_str(&b), "<CEB604Message receipt=\"3\"/>");
    cg_buf_reset(&b);
    snprintf(path, sizeof(path), "%s/receipts.cursor", statedir);
    assert_int_equal(cg_fs_read(path, 4096, &b, &err), CG_OK);
    assert_string_equal(cg_buf_str(&b), "5");

    /* From the stored cursor: one GET, nothing new. */
    s.receipt_gets = 0;
    assert_int_equal(cg_http_fetch_to_dir(h, in_fd, st_fd, "receipts.cursor", &count, &err), CG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(s.receipt_gets, 1);

    /* Two more arrive: only they are written, the cursor moves on. */
    s.receipts_total = 7;
    assert_int_equal(cg_http_fetch_to_dir(h, in_fd, st_fd, "receipts.cursor", &count, &err), CG_OK);
    assert_int_equal(count, 2);
    assert_int_equal(count_files(inbox, "http-receipt-"), 7);
    cg_buf_reset(&b);
    assert_int_equal(cg_fs_read(path, 4096, &b, &err), CG_OK);
    assert_string_equal(cg_buf_str(&b), "7");

    /*
     * A page that cannot be read (not the receipts format): asked for again one receipt at a
     * time, then reported and counted, never an error that would stop the run; after
     * CG_HTTP_BAD_PAGE_TRIES runs at the same cursor, the cursor moves one past it.
     */
    s.receipts_garbage = true;
    s.receipt_gets = 0;
    for (int run = 1; run <= CG_HTTP_BAD_PAGE_TRIES; run++) {
        char bad[256];

        assert_int_equal(cg_http_fetch_to_dir(h, in_fd, st_fd, "receipts.cursor", &count, &err),
                         CG_OK);
        assert_int_equal(s.receipt_gets, 2 * run);
        cg_buf_reset(&b);
        assert_int_equal(cg_fs_read(path, 4096, &b, &err), CG_OK);
        assert_string_equal(cg_buf_str(&b), run < CG_HTTP_BAD_PAGE_TRIES ? "7" : "8");
        snprintf(bad, sizeof(bad), "%s/receipts.cursor.bad", statedir);
        cg_buf_reset(&b);
        if (run < CG_HTTP_BAD_PAGE_TRIES) {
            char want[16];

            snprintf(want, sizeof(want), "7 %d", run);
            assert_int_equal(cg_fs_read(bad, 4096, &b, &err), CG_OK);
            assert_string_equal(cg_buf_str(&b), want);
        } else {
            assert_int_equal(cg_fs_read(bad, 4096, &b, &err), CG_ENOTFOUND);
        }
    }
    s.receipts_garbage = false;
    assert_int_equal(cg_fs_write_atomic_at(st_fd, "receipts.cursor", "7", 1, &err), CG_OK);

    /* The port unavailable: CG_ERETRY, the cursor stays. */
    s.receipts_fail_times = 1000;
    s.receipt_gets = 0;
    assert_int_equal(cg_http_fetch_to_dir(h, in_fd, st_fd, "receipts.cursor", &count, &err),
                     CG_ERETRY);
    assert_int_equal(s.receipt_gets, (int)o.max_retries + 1);
    cg_buf_reset(&b);
    assert_int_equal(cg_fs_read(path, 4096, &b, &err), CG_OK);
    assert_string_equal(cg_buf_str(&b), "7");

    cg_buf_free(&b);
    cg_http_free(h);
    srv_stop(&s);
    close(in_fd);
    close(st_fd);
}

static void test_transport_ops(void **state)
{
    struct srv s = {.mode = M_OK, .receipts_total = 3, .page_size = 10};
    struct cg_http_opts o;
    struct cg_conf *conf = NULL;
    struct cg_transport *t = NULL;
    struct cg_err err;
    char work[64], outbox[96], inbox[96], path[160], text[512];
    const char *names[3] = {"m1.xml", "m2.xml", "m3.xml"};
    int results[3];
    char *details[3];
    int out_fd, in_fd;
    size_t count = 0;
    FILE *fp;

    assert_true(snprintf(work, sizeof(work), "%s/work", certdir) < (int)sizeof(work));
    snprintf(outbox, sizeof(outbox), "%s/outbox", work);
    snprintf(inbox, sizeof(inbox), "%s/inbox", work);
    assert_int_equal(mkdir(work, 0700), 0);
    assert_int_equal(mkdir(outbox, 0700), 0);
    assert_int_equal(mkdir(inbox, 0700), 0);
    for (int i = 0; i < 3; i++) {
        char body[64];

        snprintf(body, sizeof(body), "<m guid=\"T%d\"/>", i);
        write_file(outbox, names[i], body);
    }
    out_fd = open(outbox, O_RDONLY | O_DIRECTORY);
    in_fd = open(inbox, O_RDONLY | O_DIRECTORY);
    assert_true(out_fd >= 0 && in_fd >= 0);

    srv_start(&s, NULL, false);
    o = opts_for(&s, false);
    snprintf(path, sizeof(path), "%s/cebgate.conf", work);
    fp = fopen(path, "w");
    assert_non_null(fp);
    snprintf(text, sizeof(text),
             "[general]\nworkdir = .\n[transport]\nmode = http\nurl = %s\nreceipts_url = %s\n"
             "retry_base_ms = 20\nmax_retries = 2\n",
             o.url, o.receipts_url);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(cg_conf_load(path, &conf, &err), CG_OK);
    assert_int_equal(cg_transport_http_new(conf, &t, &err), CG_OK);
    assert_string_equal(t->ops->name, "http");
    assert_false(t->ops->keeps_outbox);

    /* submit: acknowledged, then refused for good with the port's words. */
    assert_int_equal(t->ops->submit(t->impl, out_fd, "m1.xml", &err), CG_OK);
    assert_int_equal(s.accepted, 1);
    s.mode = M_REJECT_JSON;
    assert_int_equal(t->ops->submit(t->impl, out_fd, "m2.xml", &err), CG_EREJECT);
    assert_non_null(strstr(err.msg, "0002"));
    assert_non_null(strstr(err.msg, "orderNo"));
    s.mode = M_ALWAYS_503;
    assert_int_equal(t->ops->submit(t->impl, out_fd, "m2.xml", &err), CG_ERETRY);
    assert_int_equal(t->ops->submit(t->impl, out_fd, "gone.xml", &err), CG_ENOTFOUND);

    /* A batch at once. */
    s.mode = M_OK;
    assert_int_equal(cg_transport_http_submit_many(t, out_fd, names, 3, results, details, &err),
                     CG_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(results[i], CG_OK);
        free(details[i]);
    }

    /* fetch: receipts into inbox/, the cursor in the working directory. */
    assert_int_equal(t->ops->fetch(t->impl, in_fd, &count, &err), CG_OK);
    assert_int_equal(count, 3);
    assert_int_equal(count_files(inbox, "http-receipt-"), 3);
    assert_int_equal(count_files(work, "http-receipts.cursor"), 1);
    assert_int_equal(t->ops->fetch(t->impl, in_fd, &count, &err), CG_OK);
    assert_int_equal(count, 0);

    t->ops->free(t->impl);
    free(t);
    cg_conf_free(conf);
    srv_stop(&s);
    close(out_fd);
    close(in_fd);
}

/* ------------------------------------------------------------------ tests: TLS */

static char ca_path[128], client_pem[128], client_key[128], client_enc[128], pass_path[128];

static int tls_setup(void **state)
{
    char cmd[512];
    const char *sh_data = getenv("CG_TESTDATA");
    const char *ossl = getenv("OPENSSL");

    snprintf(certdir, sizeof(certdir), "/tmp/cg-test-http.XXXXXX");
    if (mkdtemp(certdir) == NULL)
        return -1;
    snprintf(cmd, sizeof(cmd), "OPENSSL='%s' sh '%s/http/mkcerts.sh' '%s'",
             ossl && ossl[0] ? ossl : "openssl", sh_data ? sh_data : "tests/data", certdir);
    if (system(cmd) != 0)
        return -1;
    snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", certdir);
    snprintf(client_pem, sizeof(client_pem), "%s/client.pem", certdir);
    snprintf(client_key, sizeof(client_key), "%s/client.key", certdir);
    snprintf(client_enc, sizeof(client_enc), "%s/client-enc.key", certdir);
    snprintf(pass_path, sizeof(pass_path), "%s/client.pass", certdir);
    return 0;
}

static int tls_teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_tls_untrusted_port(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, "rogue", false);
    o = opts_for(&s, true);
    o.ca_file = ca_path;
    make_msgs(3, "rogue");
    assert_int_equal(send_all(&o, 3, &res, &err), CG_ECRYPTO);
    assert_int_equal(count_result(&res, 3, CG_HTTP_RETRY_LATER), 3);
    assert_int_equal(res.r[0].status, 0);
    assert_int_equal(s.requests, 0); /* not one message reached the untrusted server */
    srv_stop(&s);
}

static void test_tls_wrong_host_name(void **state)
{
    struct srv s = {.mode = M_OK};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, "wrongname", false);
    o = opts_for(&s, true);
    o.ca_file = ca_path;
    make_msgs(1, "wrongname");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_ECRYPTO);
    assert_int_equal(res.r[0].result, CG_HTTP_RETRY_LATER);
    assert_int_equal(s.requests, 0);
    srv_stop(&s);
}

static void test_tls_mutual(void **state)
{
    struct srv s = {
        .mode = M_OK, .require_client_cert = true, .receipts_total = 1, .page_size = 10};
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct results res;
    struct rctx rc;
    struct cg_err err;
    size_t total = 0;

    srv_start(&s, "server", true);
    o = opts_for(&s, true);
    o.ca_file = ca_path;
    o.client_cert = client_pem;
    o.client_key = client_enc;
    o.key_pass_file = pass_path;
    make_msgs(6, "mtls");
    memset(&res, 0, sizeof(res));
    assert_int_equal(cg_http_new(&o, &h, &err), CG_OK);
    assert_int_equal(cg_http_send(h, msgs, 6, on_outcome, &res, &err), CG_OK);
    assert_int_equal(count_result(&res, 6, CG_HTTP_ACKED), 6);
    assert_int_equal(s.accepted, 6);
    assert_true(s.connections <= 4);
    memset(&rc, 0, sizeof(rc));
    assert_int_equal(cg_http_receipts_poll(h, "0", on_receipt, on_cursor, &rc, &total, &err),
                     CG_OK);
    assert_int_equal(total, 1);
    cg_http_free(h);

    /* The passphrase from the environment, with the plain key too. */
    setenv("CG_TEST_CLIENT_PASS", "correct horse battery", 1);
    o.key_pass_file = NULL;
    o.key_pass_env = "CG_TEST_CLIENT_PASS";
    make_msgs(1, "mtls-env");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_ACKED);

    /* A wrong passphrase: the key cannot be used, nothing is sent. */
    setenv("CG_TEST_CLIENT_PASS", "wrong", 1);
    make_msgs(1, "mtls-bad");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_ECRYPTO);
    assert_int_equal(res.r[0].result, CG_HTTP_RETRY_LATER);
    unsetenv("CG_TEST_CLIENT_PASS");

    o.key_pass_env = NULL;
    o.client_key = client_key;
    make_msgs(1, "mtls-plain");
    assert_int_equal(send_all(&o, 1, &res, &err), CG_OK);
    assert_int_equal(res.r[0].result, CG_HTTP_ACKED);
    assert_int_equal(s.accepted, 8);
    srv_stop(&s);
}

static void test_tls_mutual_without_client_cert(void **state)
{
    struct srv s = {.mode = M_OK, .require_client_cert = true};
    struct cg_http_opts o;
    struct results res;
    struct cg_err err;

    srv_start(&s, "server", true);
    o = opts_for(&s, true);
    o.ca_file = ca_path;
    make_msgs(2, "nocert");
    assert_int_equal(send_all(&o, 2, &res, &err), CG_ECONFIG);
    assert_int_equal(count_result(&res, 2, CG_HTTP_RETRY_LATER), 2);
    assert_int_equal(res.r[0].status, 403);
    /* The port's JSON says "rejected", but a 403 is about the connection, not the message. */
    assert_non_null(strstr(res.r[0].text, "a client certificate is required"));
    assert_non_null(strstr(res.r[0].text, "1999"));
    assert_int_equal(s.accepted, 0);
    srv_stop(&s);
}

/* ------------------------------------------------------------------ tests: options */

static void test_bad_options(void **state)
{
    struct cg_http_opts o;
    struct cg_http *h = NULL;
    struct cg_err err;

    memset(&o, 0, sizeof(o));
    o.url = "ftp://127.0.0.1/x";
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "ftp"));
    o.url = "https://port.example/x";
    o.client_key = "/nonexistent/key.pem";
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    o.client_key = NULL;
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "/nonexistent/ca.pem"));
    o.ca_file = NULL;
    o.client_cert = client_pem;
    o.key_pass_env = "CG_TEST_UNSET_VARIABLE";
    unsetenv("CG_TEST_UNSET_VARIABLE");
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    assert_non_null(strstr(err.msg, "CG_TEST_UNSET_VARIABLE"));
    o.key_pass_env = NULL;
    o.parallel = 65;
    assert_int_equal(cg_http_new(&o, &h, &err), CG_ECONFIG);
    assert_null(h);
}

static void test_opts_from_conf(void **state)
{
    char path[192];
    struct cg_conf *conf = NULL;
    struct cg_http_opts o;
    struct cg_http_opts_paths p;
    struct cg_err err;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/cebgate.conf", certdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("[transport]\nmode = http\nurl = https://127.0.0.1:9/messages\n"
          "receipts_url = https://127.0.0.1:9/receipts\nca_file = ca.pem\n"
          "client_cert = client.pem\nclient_key = client-enc.key\n"
          "client_key_pass_file = client.pass\nparallel = 8\nconnect_timeout = 3\n"
          "timeout = 30\nmax_retries = 4\nretry_deadline = 120\nretry_base_ms = 250\n"
          "retry_max_delay = 10\n",
          fp);
    fclose(fp);
    assert_int_equal(cg_conf_load(path, &conf, &err), CG_OK);
    assert_int_equal(cg_http_opts_from_conf(conf, &o, &p, &err), CG_OK);
    assert_string_equal(o.url, "https://127.0.0.1:9/messages");
    assert_string_equal(o.ca_file, ca_path);
    assert_string_equal(o.client_key, client_enc);
    assert_string_equal(o.key_pass_file, pass_path);
    assert_int_equal(o.parallel, 8);
    assert_int_equal(o.connect_timeout_ms, 3000);
    assert_int_equal(o.timeout_ms, 30000);
    assert_int_equal(o.max_retries, 4);
    assert_int_equal(o.retry_deadline_ms, 120000);
    assert_int_equal(o.retry_base_ms, 250);
    assert_int_equal(o.retry_max_delay_ms, 10000);
    cg_http_opts_paths_free(&p);
    cg_conf_free(conf);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_keepalive),
        cmocka_unit_test(test_parallel_one),
        cmocka_unit_test(test_token_file),
        cmocka_unit_test(test_retry_503_then_ok),
        cmocka_unit_test(test_resend_same_guid),
        cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_retry_after_date_429),
        cmocka_unit_test(test_retry_after_past_deadline),
        cmocka_unit_test(test_closed_connection),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_reject_json),
        cmocka_unit_test(test_reject_text),
        cmocka_unit_test(test_sync_reject),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_max_retries_gives_up_batch),
        cmocka_unit_test(test_endpoint_404),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_stop_during_retry_after),
        cmocka_unit_test(test_stop_abandons_transfer_in_flight),
        cmocka_unit_test(test_stop_before_start),
        cmocka_unit_test(test_stop_receipts_backoff),
        cmocka_unit_test(test_receipts_poll),
        cmocka_unit_test(test_receipts_bad_page),
        cmocka_unit_test(test_send_files),
        cmocka_unit_test(test_fetch_to_dir),
        cmocka_unit_test(test_transport_ops),
        cmocka_unit_test(test_tls_untrusted_port),
        cmocka_unit_test(test_tls_wrong_host_name),
        cmocka_unit_test(test_tls_mutual),
        cmocka_unit_test(test_tls_mutual_without_client_cert),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_opts_from_conf),
    };
    struct cg_err err;
    int rc;

    if (cg_lib_init(&err) != CG_OK) {
        fprintf(stderr, "cg_lib_init: %s\n", err.msg);
        return 1;
    }
    /* The keys of the modules under test, as cebgate registers them at start-up. */
    assert_int_equal(cg_conf_register(cg_mapping_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_declare_conf_keys), CG_OK);
    assert_int_equal(cg_conf_register(cg_spool_conf_keys), CG_OK);
    rc = cmocka_run_group_tests(tests, tls_setup, tls_teardown);
    cg_lib_cleanup();
    return rc;
}
