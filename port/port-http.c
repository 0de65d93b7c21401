/*
 * port-http.c - the HTTP/1.1 server of `cebgate port` on libmicrohttpd (TLS through GnuTLS),
 * with a pool of threads.
 *
 * libmicrohttpd runs its own threads (a pool of [port] threads, poll(2) each): a POST's checks
 * run in the thread that received it, then the connection is suspended while the writer thread
 * stores the message together with the others of its group, and resumed to answer once that
 * commit is done (port-writer.c). The caller's thread only waits for the stop signal, then
 * stops gracefully: no new connection is taken, idle connections are closed, and the requests
 * in flight (counted from their request line to their completion, so that an idle keep-alive
 * connection holds nothing up) are answered, for drain_timeout seconds at most or until a second
 * signal; one whose headers end during the stop has its body dropped and is answered 503, and
 * every answer of the stop closes its connection in order, after the whole answer.
 *
 * Endpoints (docs/port.md): POST /messages (a CEB message or dxp:DxpMsg; JSON answer),
 * GET /receipts?since=ID&limit=N (JSON page of receipts), GET /metrics (Prometheus text),
 * GET /health. A body takes its part of body_budget (its Content-Length, max_body while a chunked
 * one arrives), and as much of its sender's share sender_budget, before it is read, else 503 with
 * Retry-After, and is collected into a buffer with
 * that part as its ceiling (port-body.c), as a page of receipts takes receipts_page_bytes of it
 * until it is built, then its length until sent; a Content-Length over max_body is answered 413
 * before the body is read, and a body whose first part already passes a bound on its shape
 * (max_attributes, ...) is answered 413 with the rest dropped (read to twice max_body at most,
 * then the connection is closed, as for a body over max_body sent with a GET); a POST framed twice
 * (Content-Length twice, or with Transfer-Encoding) or with a transfer coding but chunked is
 * refused. Every request but /health comes from a configured sender: its verified client
 * certificate with tls_client_ca, else its token (Authorization: Bearer); nobody known is 401/403
 * with code 1999. A connection has read_deadline seconds for handshake, headers and body (cut by
 * cg_port_run's sweep), at most max_per_client connections come from one address, and TLS is 1.2+
 * with ECDHE. The test-only fault injection (503 answers, dropped connections, receipts twice) is
 * decided here per POST. Library errors go to the logger; nothing here exits.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"
#include "port/port-int.h"

#define TLS_PRIORITIES                                                                             \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:"   \
    "+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305"
#define RECEIPTS_DEFAULT 100
#define BOUNDS_FIRST_SCAN 16384 /* smaller bodies are only checked whole, by the checks */

static char tls_priorities[] = TLS_PRIORITIES;
#define RECEIPTS_MAX 1000

struct req {
    const struct cg_port_sender *sender; /* who is asking; NULL for /health */
    struct cg_port_body body;            /* a POST's body and its part of body_budget */
    struct cg_port_job *job;             /* the message, once checked */
    bool too_big;
    bool over_bounds; /* the part received so far passed a bound: the rest is dropped */
    char why[160];    /* ... which one */
    size_t received;  /* body bytes received */
    size_t scan_at;   /* the bounds are checked again once the body has this many bytes */
    bool post;
    bool drop;        /* fault: close without an answer */
    bool drop_stored; /* ... after storing (the answer is lost, not the message) */
    bool quota;       /* a POST holding a place of its sender's sender_daily_max */
    bool stopping;    /* began once the stop had begun: its body is dropped, then 503 */
};

/*
 * libmicrohttpd's own messages quote the request: "Failed to send the response headers for the
 * request for `%s'" names its URL as decoded from %XX, so a client that resets the connection
 * can put any byte there. The line is escaped as other untrusted text is (cg_text_show: control
 * characters, C1 controls, bidi and zero-width characters, bytes that are not UTF-8), so it can
 * neither forge a log line nor send a terminal escape. Nothing is formatted below debug level,
 * where these lines are not logged.
 */
void cg_port_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[1024];
    char shown[1536];
    size_t n;

    (void)cls;
    if (cg_log_get_level() < CG_LOG_DEBUG)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    cg_debug("port: libmicrohttpd: %s", cg_text_show(line, shown, sizeof(shown)));
}

/* ------------------------------------------------------------------ read deadlines */

/*
 * libmicrohttpd's timeout counts idleness, which a client that trickles one byte at a time
 * never reaches. Every connection gets a deadline of read_deadline seconds for the TLS
 * handshake, headers and body of a request; cg_port_run() shuts down the socket of a
 * connection past it (libmicrohttpd then closes it as the client's EOF). The deadline is off
 * while the port works on a request and starts again for the next request on the connection.
 */
struct watch {
    struct watch *prev;
    struct watch *next;
    struct cg_port *p;
    int fd;
    int64_t deadline_ms; /* 0: none */
    bool busy;           /* a request is in flight on it */
    bool closes;         /* its answer says Connection: close: libmicrohttpd closes it */
};

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct cg_port *p = cls;
    struct watch *w = *socket_context;
    const union MHD_ConnectionInfo *ci;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        w = calloc(1, sizeof(*w));
        if (w == NULL || ci == NULL) {
            free(w);
            return;
        }
        w->p = p;
        w->fd = ci->connect_fd;
        w->deadline_ms = cg_port_now_ms() + p->read_deadline_s * 1000;
        pthread_mutex_lock(&p->dlock);
        w->next = p->watches;
        if (w->next != NULL)
            w->next->prev = w;
        p->watches = w;
        pthread_mutex_unlock(&p->dlock);
        *socket_context = w;
        return;
    }
    if (w == NULL)
        return;
    pthread_mutex_lock(&p->dlock);
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        p->watches = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&p->dlock);
    free(w);
    *socket_context = NULL;
}

/* Deadline of conn's current request: after_ms from now, 0 for none. */
static void watch_set(struct MHD_Connection *conn, int64_t after_ms)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct watch *w = ci != NULL ? ci->socket_context : NULL;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->p->dlock);
    w->deadline_ms = after_ms > 0 ? cg_port_now_ms() + after_ms : 0;
    pthread_mutex_unlock(&w->p->dlock);
}

/*
 * A request begins (its handler's first call) or ends (its completion) on conn: counted in
 * p->inflight, which a stop waits for. Once the stop began, a connection whose request ended
 * is shut down (its answer was sent): it is not kept alive for another. Returns whether the
 * stop began.
 */
static bool watch_request(struct cg_port *p, struct MHD_Connection *conn, bool begins)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct watch *w = ci != NULL ? ci->socket_context : NULL;
    bool stopping;

    pthread_mutex_lock(&p->dlock);
    p->inflight += begins ? 1 : -1;
    stopping = p->stopping;
    if (w != NULL) {
        w->busy = begins;
        /* An answer with Connection: close is followed by libmicrohttpd's own orderly close
         * (TLS close_notify, then FIN); shutting the socket down here would cut it short. */
        if (!begins && stopping && !w->closes)
            shutdown(w->fd, SHUT_RDWR);
        if (begins)
            w->closes = false;
    }
    pthread_mutex_unlock(&p->dlock);
    return stopping;
}

/*
 * A request begins as soon as its request line has arrived (libmicrohttpd's URI log callback,
 * called before the headers are read), not at the handler's first call once they all are: a
 * connection whose request is on its way is then in flight, and a stop does not close it
 * under a client that is sending headers; the request is answered (503 once the stop began).
 * Every request for which this is called gets its completion call, which ends it.
 */
static void *request_begins(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)uri;
    watch_request(cls, conn, true);
    return NULL; /* the handler makes the request's own state at its first call */
}

/* The stop begins: new requests are refused and the connections with no request in flight
 * (idle keep-alive ones, ones still in the handshake or whose request line has not arrived)
 * are shut down. Returns the requests in flight. */
static long stop_begin(struct cg_port *p)
{
    struct watch *w;
    long n;

    pthread_mutex_lock(&p->dlock);
    p->stopping = true;
    for (w = p->watches; w != NULL; w = w->next)
        if (!w->busy)
            shutdown(w->fd, SHUT_RDWR);
    n = p->inflight;
    pthread_mutex_unlock(&p->dlock);
    return n;
}

/* The requests in flight; with stopping, whether the stop began. */
static long in_flight(struct cg_port *p, bool *stopping)
{
    long n;

    pthread_mutex_lock(&p->dlock);
    n = p->inflight;
    if (stopping != NULL)
        *stopping = p->stopping;
    pthread_mutex_unlock(&p->dlock);
    return n;
}

/* Cut the connections past their deadline. */
static void watch_sweep(struct cg_port *p)
{
    int64_t now = cg_port_now_ms();
    struct watch *w;
    long n = 0;

    pthread_mutex_lock(&p->dlock);
    for (w = p->watches; w != NULL; w = w->next)
        if (w->deadline_ms > 0 && now > w->deadline_ms) {
            shutdown(w->fd, SHUT_RDWR);
            w->deadline_ms = 0;
            n++;
        }
    pthread_mutex_unlock(&p->dlock);
    if (n > 0)
        cg_info("port: closed %ld connection%s that did not send a request within %ld s "
                "(read_deadline)",
                n, n == 1 ? "" : "s", p->read_deadline_s);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct cg_port *p = cls;
    struct req *r = *con_cls;

    (void)toe;
    watch_set(conn, p->read_deadline_s * 1000); /* the next request on this connection */
    if (r != NULL) {
        cg_port_job_free(r->job);
        cg_port_body_close(p, &r->body); /* however the request ended */
        if (r->quota)                    /* ended without being recorded */
            cg_port_quota_give_back(p, r->sender);
        free(r);
        *con_cls = NULL;
    }
    watch_request(p, conn, false); /* begun by request_begins, answered or not */
}

/*
 * Whether the answer on conn closes its connection: when close is asked, and for every answer
 * once the stop began (no further request is taken on it). Noted on the connection, whose
 * close is then libmicrohttpd's, after the whole answer.
 */
static bool answer_closes(struct MHD_Connection *conn, bool close)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct watch *w = ci != NULL ? ci->socket_context : NULL;

    if (w == NULL)
        return close;
    pthread_mutex_lock(&w->p->dlock);
    close = close || w->p->stopping;
    w->closes = close;
    pthread_mutex_unlock(&w->p->dlock);
    return close;
}

/* Queue body (freed here) as the answer; close: the connection closes after it. */
static enum MHD_Result reply_as(struct MHD_Connection *conn, unsigned status, const char *type,
                                char *body, const char *retry_after, bool close)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (body == NULL)
        return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* an answer is data, never a page: a browser must not guess another type for it */
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (retry_after != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    if (answer_closes(conn, close))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, const char *retry_after)
{
    return reply_as(conn, status, type, body, retry_after, false);
}

/* A JSON answer in the message-result format, for answers given before the checks. */
static enum MHD_Result reply_code_as(struct MHD_Connection *conn, unsigned status, const char *code,
                                     const char *text, const char *retry_after, bool close)
{
    struct cg_port_result res;
    struct cg_err err;
    char *body = NULL;

    memset(&res, 0, sizeof(res));
    res.http_status = (int)status;
    cg_strlcpy(res.code, code, sizeof(res.code));
    cg_strlcpy(res.text, text, sizeof(res.text));
    if (cg_port_result_json(&res, &body, &err) != CG_OK)
        return MHD_NO;
    return reply_as(conn, status, "application/json", body, retry_after, close);
}

static enum MHD_Result reply_code(struct MHD_Connection *conn, unsigned status, const char *code,
                                  const char *text, const char *retry_after)
{
    return reply_code_as(conn, status, code, text, retry_after, false);
}

/* A refusal (code 0001) after which the connection is closed: its body is never read. */
static enum MHD_Result reply_close(struct MHD_Connection *conn, unsigned status, const char *text)
{
    return reply_code_as(conn, status, "0001", text, NULL, true);
}

static void remote_of(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[NI_MAXHOST];

    cg_strlcpy(out, "-", size);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    if (getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in),
                    host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0)
        cg_strlcpy(out, host, size);
}

bool cg_port_addr_loopback(const struct sockaddr *sa)
{
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* Whether the client is on this host: metrics = local serves /metrics to it alone. */
static bool client_local(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    return ci != NULL && cg_port_addr_loopback(ci->client_addr);
}

/*
 * Mutual TLS: a client certificate verified by tls_client_ca. why is the answer's text, detail
 * the log's (GnuTLS's own words, which the client is not told: they describe the port's
 * verification, not the request).
 */
static bool client_cert_ok(struct MHD_Connection *conn, char *why, size_t size, char *detail,
                           size_t dsize)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s;
    unsigned int status = 0;
    int r;

    if (ci == NULL || ci->tls_session == NULL) {
        snprintf(why, size, "a client certificate is required (mutual TLS)");
        snprintf(detail, dsize, "no TLS session");
        return false;
    }
    s = (gnutls_session_t)ci->tls_session;
    if (gnutls_certificate_get_peers(s, NULL) == NULL) {
        snprintf(why, size, "a client certificate is required");
        snprintf(detail, dsize, "no client certificate");
        return false;
    }
    snprintf(why, size, "the client certificate is not trusted");
    r = gnutls_certificate_verify_peers2(s, &status);
    if (r < 0) {
        snprintf(detail, dsize, "client certificate: %s", gnutls_strerror(r));
        return false;
    }
    if (status != 0) {
        gnutls_datum_t out = {NULL, 0};

        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
            snprintf(detail, dsize, "client certificate: %s", (const char *)out.data);
            gnutls_free(out.data);
        } else {
            snprintf(detail, dsize, "client certificate is not trusted");
        }
        return false;
    }
    return true;
}

/* SHA-256 of the client's certificate as it came in the handshake; false when there is none. */
static bool client_fingerprint(struct MHD_Connection *conn, char out[65])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const gnutls_datum_t *certs;
    unsigned int n = 0;

    if (ci == NULL || ci->tls_session == NULL)
        return false;
    certs = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
    if (certs == NULL || n == 0)
        return false;
    cg_port_der_fingerprint(certs[0].data, certs[0].size, out);
    return true;
}

/*
 * Who is asking: with tls_client_ca, the [sender.NAME] whose client_cert the verified client
 * certificate is; else the one whose token came as Authorization: Bearer. NULL with *status
 * (401/403), why (the answer's text) and detail (more for the log, or "") when nobody. Neither
 * holds the token.
 */
static const struct cg_port_sender *identify(struct cg_port *p, struct MHD_Connection *conn,
                                             unsigned *status, char *why, size_t size, char *detail,
                                             size_t dsize)
{
    const struct cg_port_sender *s;
    const char *auth;
    char fp[65];

    detail[0] = '\0';
    if (p->tls_client_ca_pem != NULL) {
        *status = 403;
        if (!client_cert_ok(conn, why, size, detail, dsize))
            return NULL;
        if (!client_fingerprint(conn, fp)) {
            snprintf(why, size, "a client certificate is required");
            return NULL;
        }
        s = cg_port_sender_by_client(p, fp);
        if (s == NULL)
            snprintf(why, size,
                     "the client certificate (SHA-256 %.16s...) is not the "
                     "client_cert of any sender",
                     fp);
        return s;
    }
    *status = 401;
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
        snprintf(why, size,
                 "who is sending? send the sender's token as "
                 "'Authorization: Bearer TOKEN' (or use mutual TLS)");
        return NULL;
    }
    s = cg_port_sender_by_token(p, auth + 7, strlen(auth + 7));
    if (s == NULL)
        snprintf(why, size, "the token is not that of any sender");
    return s;
}

/*
 * A request from nobody known: counted for /metrics (in memory: such a request is never stored,
 * or anybody could fill the port's disk), and a warning naming the client address and why (never
 * the token), at most one a minute for each address and reason (port-lograte.c), with the count
 * of those not logged in between.
 */
static void log_unknown(struct cg_port *p, struct MHD_Connection *conn, unsigned status,
                        const char *why, const char *detail)
{
    char remote[64]; /* a numeric address */
    char key[128];
    char note[96];
    long held = 0;

    pthread_mutex_lock(&p->flock);
    p->login_refused[status == 403]++;
    pthread_mutex_unlock(&p->flock);
    remote_of(conn, remote, sizeof(remote));
    /* one key for each address and reason: a wrong token is not hidden by a missing one */
    snprintf(key, sizeof(key), "%u %s %.40s", status, remote, why);
    if (!cg_port_log_allow(p, key, cg_port_now_ms(), &held))
        return;
    cg_port_log_held(held, note, sizeof(note));
    cg_warn("port: refused a request from %s: HTTP %u, code 1999: %s%s%s%s%s", remote, status, why,
            detail[0] != '\0' ? " (" : "", detail, detail[0] != '\0' ? ")" : "", note);
}

/* A read of the database failed: the client is answered 3001 alone, the log has why. */
static enum MHD_Result read_failed(struct cg_port *p, struct MHD_Connection *conn, const char *what,
                                   const char *why)
{
    char note[96];
    long held = 0;

    if (cg_port_log_allow_own(p, CG_PORT_OWN_READ, cg_port_now_ms(), &held)) {
        cg_port_log_held(held, note, sizeof(note));
        cg_error("port: %s, answered 3001: %s%s", what, why, note);
    }
    return reply_code(conn, 500, "3001", "system error; ask again", "1");
}

/* A refusal decided here, recorded before it is answered: when it cannot be recorded the
 * answer is 3001 (retry), as for a message that could not be stored. */
static enum MHD_Result refuse_recorded(struct cg_port *p, struct MHD_Connection *conn,
                                       struct req *r, unsigned status, const char *code,
                                       const char *text, size_t len)
{
    char remote[NI_MAXHOST];

    remote_of(conn, remote, sizeof(remote));
    if (!cg_port_record_refusal(p, code, text, len, remote, r->sender, &r->quota))
        return reply_code(conn, 500, "3001", CG_PORT_SYSTEM_ERROR, "1");
    return reply_code(conn, status, code, text, NULL);
}

static enum MHD_Result serve_metrics(struct cg_port *p, struct MHD_Connection *conn)
{
    struct cg_port_stats st;
    struct cg_err err;
    struct cg_buf b;
    long faults_503;
    long faults_drop;
    long body_refused;
    long share_refused;
    long quota_refused;
    long login_refused[2];
    long unused = 0;
    long inflight;
    size_t body_held;
    size_t i;

    inflight = in_flight(p, NULL);
    cg_port_body_usage(p, &body_held, &body_refused);
    cg_port_quota_usage(p, NULL, 0, &unused, &quota_refused);
    pthread_mutex_lock(&p->flock);
    share_refused = p->share_refused;
    login_refused[0] = p->login_refused[0];
    login_refused[1] = p->login_refused[1];
    faults_503 = p->faults_503;
    faults_drop = p->faults_drop;
    pthread_mutex_unlock(&p->flock);
    cg_err_clear(&err);
    if (cg_port_stats(p, &st, &err) != CG_OK)
        return read_failed(p, conn, "reading the counts of /metrics", err.msg);
    cg_buf_init(&b, 1024 * 1024);
    cg_buf_addf(&b,
                "# HELP cebgate_port_messages_received_total Messages that reached the checks.\n"
                "# TYPE cebgate_port_messages_received_total counter\n"
                "cebgate_port_messages_received_total %ld\n"
                "# HELP cebgate_port_messages_accepted_total Messages accepted (first time).\n"
                "# TYPE cebgate_port_messages_accepted_total counter\n"
                "cebgate_port_messages_accepted_total %ld\n"
                "# HELP cebgate_port_messages_accepted_again_total Retries of accepted "
                "messages, answered as accepted.\n"
                "# TYPE cebgate_port_messages_accepted_again_total counter\n"
                "cebgate_port_messages_accepted_again_total %ld\n"
                "# HELP cebgate_port_messages_rejected_total Messages refused, by code.\n"
                "# TYPE cebgate_port_messages_rejected_total counter\n",
                st.received, st.accepted, st.accepted_again);
    for (i = 0; i < st.ncodes; i++)
        cg_buf_addf(&b, "cebgate_port_messages_rejected_total{code=\"%s\"} %ld\n",
                    st.by_code[i].code, st.by_code[i].n);
    cg_buf_addf(&b,
                "# HELP cebgate_port_documents_total Documents accepted.\n"
                "# TYPE cebgate_port_documents_total counter\n"
                "cebgate_port_documents_total %ld\n"
                "# HELP cebgate_port_documents_final Documents whose scenario has finished.\n"
                "# TYPE cebgate_port_documents_final gauge\n"
                "cebgate_port_documents_final %ld\n"
                "# HELP cebgate_port_receipts_published_total Receipts published.\n"
                "# TYPE cebgate_port_receipts_published_total counter\n"
                "cebgate_port_receipts_published_total %ld\n"
                "# HELP cebgate_port_receipts_pending Receipts planned, not yet published.\n"
                "# TYPE cebgate_port_receipts_pending gauge\n"
                "cebgate_port_receipts_pending %ld\n"
                "# HELP cebgate_port_faults_injected_total Test-only injected faults since start.\n"
                "# TYPE cebgate_port_faults_injected_total counter\n"
                "cebgate_port_faults_injected_total{kind=\"503\"} %ld\n"
                "cebgate_port_faults_injected_total{kind=\"drop\"} %ld\n",
                st.documents, st.documents_final, st.receipts, st.receipts_pending, faults_503,
                faults_drop);
    cg_buf_addf(&b,
                "# HELP cebgate_port_body_bytes_held Bytes of message bodies and receipt pages "
                "held now (body_budget).\n"
                "# TYPE cebgate_port_body_bytes_held gauge\n"
                "cebgate_port_body_bytes_held %zu\n"
                "# HELP cebgate_port_requests_in_flight Requests begun (request line received) "
                "and not ended, this one included.\n"
                "# TYPE cebgate_port_requests_in_flight gauge\n"
                "cebgate_port_requests_in_flight %ld\n"
                "# HELP cebgate_port_body_budget_refused_total Requests answered 503 because "
                "body_budget was taken.\n"
                "# TYPE cebgate_port_body_budget_refused_total counter\n"
                "cebgate_port_body_budget_refused_total %ld\n"
                "# HELP cebgate_port_sender_budget_refused_total Requests answered 503 because "
                "their sender's share (sender_budget) was taken.\n"
                "# TYPE cebgate_port_sender_budget_refused_total counter\n"
                "cebgate_port_sender_budget_refused_total %ld\n"
                "# HELP cebgate_port_sender_daily_max_refused_total Messages answered 429 because "
                "their sender had passed sender_daily_max.\n"
                "# TYPE cebgate_port_sender_daily_max_refused_total counter\n"
                "cebgate_port_sender_daily_max_refused_total %ld\n"
                "# HELP cebgate_port_logins_refused_total Requests from nobody known (no or "
                "an unknown token or client certificate) answered with code 1999, by HTTP "
                "status, since the port started.\n"
                "# TYPE cebgate_port_logins_refused_total counter\n"
                "cebgate_port_logins_refused_total{status=\"401\"} %ld\n"
                "cebgate_port_logins_refused_total{status=\"403\"} %ld\n",
                body_held, inflight, body_refused, share_refused, quota_refused, login_refused[0],
                login_refused[1]);
    return reply(conn, 200, "text/plain; version=0.0.4", cg_buf_take(&b), NULL);
}

static enum MHD_Result serve_receipts(struct cg_port *p, struct MHD_Connection *conn, struct req *r)
{
    const char *since_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
    const char *limit_s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    struct cg_err err;
    const char *over = NULL;
    char *body = NULL;
    long since = 0;
    long limit = RECEIPTS_DEFAULT;

    cg_err_clear(&err);
    if (since_s != NULL && *since_s != '\0' && cg_parse_long(since_s, 0, LONG_MAX, &since) != CG_OK)
        return reply_code(conn, 400, "0001", "since must be a whole number >= 0 (a receipt id)",
                          NULL);
    if (limit_s != NULL && *limit_s != '\0' &&
        cg_parse_long(limit_s, 1, RECEIPTS_MAX, &limit) != CG_OK)
        return reply_code(conn, 400, "0001", "limit must be a whole number from 1 to 1000", NULL);
    /* A page is held until it has been sent, as a body is: it takes its part of body_budget
     * (receipts_page_bytes, then its length) and gives it back when the request ends. */
    if (!cg_port_body_open(p, &r->body, r->sender, (long)p->receipts_page_bytes, &over))
        return reply_code(conn, 503, "3999",
                          strcmp(over, "sender_budget") == 0
                              ? "the port holds as many of this sender's messages and receipts "
                                "as it may at once (sender_budget); ask again"
                              : "the port holds as many messages and receipts as it may at once "
                                "(body_budget); ask again",
                          "1");
    if (cg_port_receipts_json(p, r->sender->name, since, (int)limit, &body, &err) != CG_OK)
        return read_failed(p, conn, "reading receipts", err.msg);
    cg_port_body_keep(p, &r->body, strlen(body));
    return reply(conn, 200, "application/json", body, NULL);
}

static void count_fault(struct cg_port *p, long *counter)
{
    pthread_mutex_lock(&p->flock);
    (*counter)++;
    pthread_mutex_unlock(&p->flock);
}

/* First call for a complete POST: check, then hand the message to the writer. */
static enum MHD_Result start_post(struct cg_port *p, struct MHD_Connection *conn, struct req *r)
{
    char remote[NI_MAXHOST];
    char text[256];

    if (r->too_big) {
        snprintf(text, sizeof(text), "message is larger than the limit of %zu bytes", p->max_body);
        return refuse_recorded(p, conn, r, 413, "0999", text, p->max_body + 1);
    }
    if (r->over_bounds) { /* the same answer the checks give a whole body over a bound */
        snprintf(text, sizeof(text), "message refused before parsing: it has %s", r->why);
        return refuse_recorded(p, conn, r, 413, "0999", text, r->received);
    }
    if (r->drop && !r->drop_stored) {
        count_fault(p, &p->faults_drop);
        return MHD_NO;
    }
    cg_port_body_fit(p, &r->body); /* a chunked body took max_body until it ended */
    remote_of(conn, remote, sizeof(remote));
    cg_port_writer_busy(p, 1);
    watch_set(conn, 0); /* the whole request is in: the deadline no longer applies */
    if (cg_port_job_check(p, r->body.buf.data != NULL ? r->body.buf.data : "", r->body.buf.len,
                          remote, r->sender, &r->job) != CG_OK) {
        cg_port_writer_busy(p, -1);
        cg_error("port: could not check a message from sender %s (%s): out of memory",
                 r->sender->name, remote);
        return reply_code(conn, 500, "3001", CG_PORT_SYSTEM_ERROR, "1");
    }
    r->job->quota = r->quota; /* the writer counts it once it is recorded */
    r->quota = false;
    /* Suspended before it is queued, so the writer never resumes a running connection. */
    MHD_suspend_connection(conn);
    if (!cg_port_writer_queue(p, r->job, conn, true)) {
        cg_port_jobs_store(p, &r->job, 1);
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* Called again after the writer resumed the connection: the job has its answer. */
static enum MHD_Result finish_post(struct cg_port *p, struct MHD_Connection *conn, struct req *r)
{
    const struct cg_port_result *res = &r->job->res;
    struct cg_err err;
    char *body = NULL;

    if (r->drop) {
        count_fault(p, &p->faults_drop);
        return MHD_NO;
    }
    cg_err_clear(&err);
    if (cg_port_result_json(res, &body, &err) != CG_OK)
        return MHD_NO;
    return reply(conn, (unsigned)res->http_status, "application/json", body,
                 res->http_status == 500 ? "1" : NULL);
}

struct header_count {
    const char *name;
    int n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    struct header_count *c = cls;

    (void)kind;
    (void)value;
    if (strcasecmp(key, c->name) == 0)
        c->n++;
    return MHD_YES;
}

static enum MHD_Result name_blank(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    int *n = cls;

    (void)kind;
    (void)value;
    if (strpbrk(key, " \t") != NULL)
        (*n)++;
    return MHD_YES;
}

/* How many header names of the request on conn hold a space or a tab. */
static int headers_blank(struct MHD_Connection *conn)
{
    int n = 0;

    MHD_get_connection_values(conn, MHD_HEADER_KIND, name_blank, &n);
    return n;
}

/* How many times the request on conn carries the header name. */
static int headers_named(struct MHD_Connection *conn, const char *name)
{
    struct header_count c = {name, 0};

    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &c);
    return c.n;
}

/*
 * Keep a piece of a POSTed body. Once the body is BOUNDS_FIRST_SCAN bytes (and again each time
 * it has doubled, so the scans cost at most twice one pass) the part received so far is held
 * to the bounds on the message's shape: a body over one (an attribute bomb) is refused without
 * reading the rest into memory or scanning it.
 */
static void add_body(struct cg_port *p, struct req *r, const char *data, size_t size)
{
    struct cg_buf *b = &r->body.buf;

    if (cg_buf_add(b, data, size) != CG_OK) { /* a chunked body past max_body */
        r->too_big = true;
        cg_port_body_close(p, &r->body);
        return;
    }
    if (r->scan_at == 0)
        r->scan_at = BOUNDS_FIRST_SCAN;
    if (b->len < r->scan_at)
        return;
    r->scan_at = b->len * 2;
    if (cg_port_xml_bounds(p, b->data, cg_port_xml_bounds_prefix(b->data, b->len), r->why,
                           sizeof(r->why)) != CG_OK) {
        r->over_bounds = true;
        cg_port_body_close(p, &r->body);
    }
}

/*
 * A body the port drops (a chunked one past max_body or a bound, one sent with a GET) is read
 * only so far: libmicrohttpd answers only once a body has ended, and a chunked or declared body
 * need not end before read_deadline, which at loopback speed is gigabytes to decrypt. Past the
 * limit the connection is closed without an answer.
 */
static enum MHD_Result cut_body(struct cg_port *p, struct req *r)
{
    cg_info("port: closed a connection whose %s body passed %zu bytes that are dropped",
            r->post ? "refused" : "unwanted", r->post ? 2 * p->max_body : p->max_body);
    return MHD_NO;
}

/* The answer to a request that began once the stop had begun; the connection closes after it. */
static enum MHD_Result stopping_reply(struct MHD_Connection *conn)
{
    return reply_code_as(conn, 503, "3999", "the port is stopping; send again", "1", true);
}

static __thread bool routed;

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct cg_port *p = cls;
    struct req *r = *con_cls;
    const char *cl;
    const char *te;
    const char *over = NULL;
    char why[256];
    char detail[256];
    unsigned status = 401;
    bool stopping = false;
    bool open_url;
    long n = 0;

    if (!routed) { /* libxml2 keeps its error handler per thread */
        cg_log_route_libraries();
        routed = true;
    }
    if (r == NULL) {
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        cg_buf_init(&r->body.buf, 0); /* a POST's body gets its ceiling with its budget */
        *con_cls = r;
        /* A request that begins once the stop began is not taken: the sender sends it again.
         * Its body, if any, is read and dropped first (up to max_body), so that the answer
         * reaches the client whole: closing a socket with unread bytes resets it, and a client
         * still sending its body would see the reset, not the answer. */
        in_flight(p, &stopping);
        if (stopping) {
            cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_TRANSFER_ENCODING);
            r->stopping = true;
            if (te == NULL &&
                (cl == NULL || (cg_parse_long(cl, 0, LONG_MAX, &n) == CG_OK && n == 0)))
                return stopping_reply(conn);
            if (te == NULL && (cg_parse_long(cl, 0, LONG_MAX, &n) != CG_OK ||
                               (unsigned long)n > (unsigned long)p->max_body))
                return stopping_reply(conn); /* not read: too long to be worth it */
            return MHD_YES;
        }
        /* RFC 9112 3.2: an HTTP/1.1 request without a Host header or with several is answered
         * 400 (libmicrohttpd passes it on); framing it cannot read is answered by it alone, with
         * a page of its own (docs/port.md, "What libmicrohttpd answers itself"). */
        /* RFC 9112 5.1: whitespace between a header's name and its colon is answered 400; a
         * proxy in front may read `Content-Length : 5` as Content-Length where libmicrohttpd
         * reads a header of another name (request smuggling). */
        if (headers_blank(conn) > 0)
            return reply_close(conn, 400,
                               "a header name holds a space or a tab (whitespace before its "
                               "colon): refused, as RFC 9112 asks");
        if (strcmp(version, MHD_HTTP_VERSION_1_0) != 0 &&
            headers_named(conn, MHD_HTTP_HEADER_HOST) != 1)
            return reply_close(conn, 400, "an HTTP/1.1 request has exactly one Host header");
        open_url = strcmp(url, "/health") == 0 ||
                   (strcmp(url, "/metrics") == 0 && strcmp(p->metrics, "open") == 0) ||
                   (strcmp(url, "/metrics") == 0 && strcmp(p->metrics, "local") == 0 &&
                    client_local(conn));
        if (!open_url) {
            r->sender = identify(p, conn, &status, why, sizeof(why), detail, sizeof(detail));
            if (r->sender == NULL) {
                watch_set(conn, 0);
                log_unknown(p, conn, status, why, detail);
                return reply_code(conn, status, "1999", why, NULL);
            }
        }
        r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strcmp(url, "/messages") == 0;
        if (!r->post)
            return MHD_YES;
        /* A sender past its daily_max or sender_daily_max is answered before anything of its
         * message is read, checked or stored (nor is the answer: that would fill the disk all the
         * same). */
        if (!cg_port_quota_take(p, r->sender, cg_port_now_ms(), &n)) {
            char after[24];

            snprintf(after, sizeof(after), "%ld", n);
            cg_port_quota_text(p, r->sender, why, sizeof(why));
            return reply_code_as(conn, 429, "3998", why, after, true);
        }
        r->quota = r->sender != NULL;
        if (headers_named(conn, MHD_HTTP_HEADER_CONTENT_LENGTH) > 1)
            return reply_code(conn, 400, "0001", "more than one Content-Length header", NULL);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        /* Two framings that a proxy in front and the port could read differently (request
         * smuggling): refused, and the connection closes as the body is not read (RFC 9112
         * 6.1). A transfer coding but chunked would leave the port waiting for the body. */
        if (te != NULL && cl != NULL)
            return reply_close(conn, 400,
                               "both Transfer-Encoding and Content-Length headers: send one");
        if (te != NULL && strcasecmp(te, "chunked") != 0)
            return reply_close(conn, 501,
                               "only Transfer-Encoding: chunked is supported (or send "
                               "Content-Length)");
        if (cl != NULL && (cg_parse_long(cl, 0, LONG_MAX, &n) != CG_OK ||
                           (unsigned long)n > (unsigned long)p->max_body)) {
            char raw[sizeof(why)];

            /* the header is the client's: shown escaped, as text from a message is */
            snprintf(raw, sizeof(raw), "message of %s bytes is larger than the limit of %zu bytes",
                     cl, p->max_body);
            cg_text_show(raw, why, sizeof(why));
            return refuse_recorded(p, conn, r, 413, "0999", why, (size_t)n);
        }
        /* The body's part of body_budget, taken before any of it is read: when it does not
         * fit, the sender is told to come back and the body is never read. */
        if (!cg_port_body_open(p, &r->body, r->sender, cl != NULL ? n : -1, &over)) {
            bool share = strcmp(over, "sender_budget") == 0;

            cg_debug("port: a POST of %s bytes from %s waits: the bodies held would pass %s "
                     "(%zu bytes)",
                     cl != NULL ? cl : "max_body (chunked)", r->sender->name, over,
                     share ? p->sender_budget : p->body_budget);
            return reply_code_as(conn, 503, "3999",
                                 share ? "the port holds as many of this sender's messages as it "
                                         "may at once (sender_budget); send again"
                                       : "the port holds as many messages as it may at once "
                                         "(body_budget); send again",
                                 "1", true);
        }
        if (p->fault_503 > 0 && cg_port_roll(p) < p->fault_503) {
            count_fault(p, &p->faults_503);
            return reply_code(conn, 503, "3999",
                              "temporarily unavailable (injected test fault); send again", "1");
        }
        if (p->fault_drop > 0 && cg_port_roll(p) < p->fault_drop) {
            r->drop = true;
            r->drop_stored = cg_port_roll(p) < 50;
        }
        return MHD_YES;
    }
    if (r->stopping) { /* its body dropped up to max_body, then the 503 */
        if (*upload_data_size == 0)
            return stopping_reply(conn);
        r->received += *upload_data_size;
        *upload_data_size = 0;
        return r->received > p->max_body ? cut_body(p, r) : MHD_YES;
    }
    if (r->post) {
        if (*upload_data_size > 0) {
            r->received += *upload_data_size;
            if (!r->too_big && !r->over_bounds)
                add_body(p, r, upload_data, *upload_data_size);
            else if (r->received > 2 * p->max_body)
                return cut_body(p, r);
            *upload_data_size = 0;
            return MHD_YES;
        }
        return r->job == NULL ? start_post(p, conn, r) : finish_post(p, conn, r);
    }
    if (*upload_data_size > 0) { /* a body nobody asked for is read and dropped ... */
        r->received += *upload_data_size;
        if (r->received > p->max_body) /* ... up to max_body */
            return cut_body(p, r);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/messages") == 0)
        return reply_code(conn, 405, "0001", "POST a message to /messages", NULL);
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_code(conn, 405, "0001", "method not allowed", NULL);
    if (strcmp(url, "/receipts") == 0)
        return serve_receipts(p, conn, r);
    if (strcmp(url, "/metrics") == 0) {
        if (strcmp(p->metrics, "off") == 0)
            return reply_code(conn, 404, "0001", "metrics are off ([port] metrics)", NULL);
        /* a sender elsewhere: the counts are every sender's, for this host's monitoring only */
        if (strcmp(p->metrics, "local") == 0 && !client_local(conn))
            return reply_code(conn, 403, "0001",
                              "metrics are served to this host only ([port] metrics = local)",
                              NULL);
        return serve_metrics(p, conn);
    }
    if (strcmp(url, "/health") == 0)
        return reply(conn, 200, "application/json", cg_strdup("{\"status\":\"ok\"}"), NULL);
    return reply_code(conn, 404, "0001",
                      "no such endpoint (POST /messages, GET /receipts, "
                      "GET /metrics, GET /health)",
                      NULL);
}

/* ------------------------------------------------------------------ start and run */

static int parse_listen(struct cg_port *p, struct sockaddr_storage *ss, bool *loopback,
                        struct cg_err *err)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    const char *a = strcmp(p->listen, "localhost") == 0 ? "127.0.0.1" : p->listen;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, a, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p->port);
        *loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        return CG_OK;
    }
    if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p->port);
        *loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        return CG_OK;
    }
    return CG_ERR_SET(err, CG_ECONFIG, "[port] listen: '%s' is not an IPv4 or IPv6 address",
                      p->listen);
}

int cg_port_listen_check(struct cg_port *p, struct cg_err *err)
{
    struct sockaddr_storage ss;
    bool loopback = false;
    int rc = parse_listen(p, &ss, &loopback, err);

    if (rc != CG_OK)
        return rc;
    if (p->tls_cert_pem == NULL && !loopback && !p->insecure_http)
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[port] listen %s is not loopback: set tls_cert and tls_key (or "
                          "insecure_http = yes for a closed test network)",
                          p->listen);
    return CG_OK;
}

int cg_port_listen(struct cg_port *p, struct cg_err *err)
{
    struct sockaddr_storage ss;
    struct MHD_OptionItem opts[24];
    const union MHD_DaemonInfo *info;
    /* poll(2), not epoll: in epoll mode libmicrohttpd 0.9.75 spins on a connection that sent
     * part of a TLS handshake record, so a few clients trickling bytes took the CPU. */
    /* MHD_USE_ITC: MHD_quiesce_daemon() needs it (MHD_ALLOW_SUSPEND_RESUME implies it too). */
    unsigned int flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    bool loopback = false;
    size_t n = 0;
    int rc;

    /* The logger first: libmicrohttpd writes what comes before it to stderr, unescaped. */
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)cg_port_mhd_log, p};
    rc = cg_port_listen_check(p, err);
    if (rc == CG_OK)
        rc = parse_listen(p, &ss, &loopback, err);
    if (rc != CG_OK)
        return rc;
    if (p->nsenders == 0)
        return CG_ERR_SET(err, CG_ECONFIG,
                          "no [sender.NAME] in the configuration: nobody could send messages or "
                          "read receipts (docs/port.md, Security)");
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (p->tls_cert_pem != NULL)
        flags |= MHD_USE_TLS;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)p->max_connections, NULL};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)p->timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, p};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn, p};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)request_begins, p};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                        (intptr_t)p->max_per_client, NULL};
    if (p->threads > 1)
        opts[n++] =
            (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)p->threads, NULL};
    if (p->tls_cert_pem != NULL) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, p->tls_cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, p->tls_key_pem};
        /* TLS 1.2 with forward-secret (ECDHE) AEAD suites, or TLS 1.3 */
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, tls_priorities};
    }
    if (p->tls_client_ca_pem != NULL)
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, p->tls_client_ca_pem};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    rc = cg_port_writer_start(p, err);
    if (rc != CG_OK)
        return rc;
    p->mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, handler, p, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (p->mhd == NULL) {
        cg_port_writer_stop(p);
        return CG_ERR_SET(err, CG_EIO,
                          "cannot listen on %s port %ld (in use, no permission, or a bad TLS "
                          "certificate/key; -vv shows libmicrohttpd's reason)",
                          p->listen, p->port);
    }
    info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_BIND_PORT);
    p->bound_port = info != NULL ? info->port : (unsigned)p->port;
    return CG_OK;
}

/*
 * A SIGHUP (systemd's reload, an operator's habit) reloads nothing: the configuration, the
 * senders and the certificates are read once, at start. Said in the log, so that whoever sent
 * it knows a change was not applied.
 */
static void hup_note(volatile sig_atomic_t *hup)
{
    if (hup == NULL || *hup == 0)
        return;
    *hup = 0;
    cg_warn("port: SIGHUP: nothing was reloaded, the configuration is read only at start; "
            "restart the port to apply a change (a sender added, a certificate renewed)");
}

int cg_port_run(struct cg_port *p, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup,
                struct cg_err *err)
{
    MHD_socket ls;
    int64_t until;
    long n;

    if (p->mhd == NULL)
        return CG_ERR_SET(err, CG_EINVAL, "the port is not listening");
    while (*stop == 0) {
        if (poll(NULL, 0, 100) < 0 && errno != EINTR)
            return CG_ERR_SET(err, CG_EIO, "poll: %s", strerror(errno));
        watch_sweep(p);
        hup_note(hup);
    }
    /* No new connection: libmicrohttpd stops accepting, and the listening socket, shut down,
     * refuses connections at once (those the kernel had queued are reset) instead of leaving
     * them queued until it is closed. It is closed after the daemon stopped, as
     * MHD_quiesce_daemon() asks. */
    ls = MHD_quiesce_daemon(p->mhd);
    if (ls != MHD_INVALID_SOCKET)
        shutdown(ls, SHUT_RDWR);
    n = stop_begin(p);
    cg_info("port: stopping: no new connections; waiting up to %ld s (drain_timeout) for %ld "
            "request%s in flight",
            p->drain_s, n, n == 1 ? "" : "s");
    /* The writer goes on committing and resuming connections; each request ends once its
     * answer was sent. */
    until = cg_port_now_ms() + p->drain_s * 1000;
    while ((n = in_flight(p, NULL)) > 0 && *stop < 2 && cg_port_now_ms() < until) {
        if (poll(NULL, 0, 10) < 0 && errno != EINTR)
            break;
        watch_sweep(p);
        hup_note(hup);
    }
    if (n > 0 && *stop >= 2)
        cg_warn("port: stopped at a second signal with %ld request%s in flight, closed without "
                "an answer",
                n, n == 1 ? "" : "s");
    else if (n > 0)
        cg_warn("port: stopped after drain_timeout (%ld s) with %ld request%s in flight, closed "
                "without an answer",
                p->drain_s, n, n == 1 ? "" : "s");
    /* The writer finishes the queued messages (resuming their connections) first; what comes
     * in after that is stored by the thread that checked it. Then the server stops. */
    cg_port_writer_stop(p);
    MHD_stop_daemon(p->mhd);
    p->mhd = NULL;
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    return CG_OK;
}
