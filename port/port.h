/*
 * port.h - `cebgate port`: the receiving side of the electronic port.
 *
 * A struct cg_port is an HTTP/1.1 server (libmicrohttpd, TLS through GnuTLS) that takes CEB
 * messages (bare or in dxp:DxpMsg), checks them (size, safe parse, XML signature against the
 * trusted signer certificates, schema, business rules), stores them in its own SQLite database
 * and answers at once with a transport-level result. Accepted documents then get business
 * receipts (CEB304 ... CEB702, CEB792) following a configurable scenario; receipts are served
 * by GET /receipts and optionally written into a folder. The HTTP API is in docs/port.md.
 *
 * Threads: libmicrohttpd's pool ([port] threads) receives and checks messages side by side;
 * one writer thread stores them, those that arrive together in one transaction, and publishes
 * the receipts that fall due; cg_port_run() only waits for the stop signal. Without
 * cg_port_listen() (tests) cg_port_submit() and cg_port_release_due() do their database work
 * in the caller's thread. Library code never prints; errors come back in struct cg_err.
 */
#ifndef CG_PORT_H
#define CG_PORT_H

#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/err.h"

struct cg_port;

/* Largest number of entities in one CEB message. */
#define CG_PORT_MAX_DOCS 100

/* The transport-level answer to one POSTed message. */
struct cg_port_result {
    int http_status;           /* 200 accepted, 409, 413, 422, 429, 500, 503 */
    char code[5];              /* "0000" accepted, else the DXP-style code ("0002", "1001") */
    char text[CG_ERR_MSG_MAX]; /* reason a person can act on */
    char guid[64];             /* root guid of the CEB message, "" when unknown */
    int msg_type;              /* 303, 603, ...; 0 when unknown */
    bool duplicate;            /* the same message was accepted before (a retry) */
    size_t ndocs;              /* accepted documents (entities) */
    struct {
        char guid[40];
        char pre_no[20];
        char invt_no[24];
    } docs[CG_PORT_MAX_DOCS];
};

/* Counts kept in the port database (cebgate port --stats, GET /metrics). */
struct cg_port_stats {
    long received;       /* messages that reached the checks */
    long accepted;       /* first acceptances (retries not counted) */
    long accepted_again; /* idempotent retries answered as accepted */
    long rejected;
    struct {
        char code[5];
        long n;
    } by_code[32]; /* rejections per code */
    size_t ncodes;
    long documents;        /* accepted documents */
    long documents_final;  /* documents whose scenario has finished */
    long receipts;         /* receipts published */
    long receipts_pending; /* scheduled receipts not yet published */
};

/*
 * Read [port] from conf, load the TLS material, the trusted signer certificates, the schema and
 * the code tables, and open the database. Nothing listens yet. *out is written only on success.
 */
int cg_port_new(const struct cg_conf *conf, struct cg_port **out, struct cg_err *err);
/* A start-up refusal in err that concerns section.key: "FILE:LINE: " put before it when the key
 * was written in the configuration file (nothing for a default, or out of memory). */
void cg_port_err_at(const struct cg_conf *conf, const char *section, const char *key,
                    struct cg_err *err);
void cg_port_free(struct cg_port *p);

/* Bind and start the HTTP server. */
int cg_port_listen(struct cg_port *p, struct cg_err *err);
/* TCP port actually bound (useful with port = 0); 0 before cg_port_listen(). */
unsigned cg_port_bound_port(const struct cg_port *p);
/* Whether the server speaks TLS. */
bool cg_port_tls(const struct cg_port *p);

/*
 * Serve until *stop becomes non-zero (set it from a signal handler), then stop gracefully: no
 * new connection is taken, idle connections are closed, and the requests in flight are
 * answered (their messages stored and answered) for [port] drain_timeout seconds at most, or
 * until *stop reaches 2 (a second signal); then the server stops. *hup (may be NULL), set by a
 * SIGHUP handler, is cleared with a warning that nothing is reloaded. Returns CG_OK after a
 * stop.
 */
int cg_port_run(struct cg_port *p, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup,
                struct cg_err *err);

/*
 * Check and store one message as if it had been POSTed by sender (a [sender.NAME] name, NULL
 * when the caller has no transport identity: the message is then attributed by its signing
 * certificate alone). Waits for the writer thread when the
 * server runs; its own commit otherwise). May be called from several threads. res is
 * always filled; the return value is CG_OK for accepted (also accepted again), CG_EREJECT for
 * a refusal, CG_ERETRY when the sender has passed sender_daily_max (res says 3998, nothing was
 * checked or stored), CG_EDB or another code for a system failure (res says 3001).
 */
int cg_port_submit(struct cg_port *p, const char *sender, const char *body, size_t len,
                   const char *remote, struct cg_port_result *res);

/* Publish the scenario receipts due at now_ms (Unix milliseconds); *n: how many. */
int cg_port_release_due(struct cg_port *p, int64_t now_ms, size_t *n, struct cg_err *err);

/*
 * The GET /receipts answer for one sender (a [sender.NAME] name): its receipts with id > since,
 * at most limit and at most receipts_page_bytes, as JSON (docs/port.md). A NULL sender sees
 * nothing. *out: caller frees.
 */
int cg_port_receipts_json(struct cg_port *p, const char *sender, int64_t since, int limit,
                          char **out, struct cg_err *err);

/* The result as the JSON body the HTTP API answers with. *out: caller frees. */
int cg_port_result_json(const struct cg_port_result *res, char **out, struct cg_err *err);

/* Counts from a port database file (opened, read, closed). */
int cg_port_stats_read(const char *db_path, struct cg_port_stats *st, struct cg_err *err);
/* Counts from a running port's database. */
int cg_port_stats(struct cg_port *p, struct cg_port_stats *st, struct cg_err *err);

/*
 * One line per accepted document, tab-separated: message type, guid, business key, preNo,
 * invtNo, latest status, final (0/1). For comparing the port's view with the sender's.
 */
int cg_port_dump_documents(const char *db_path, FILE *fp, struct cg_err *err);

/*
 * One port per database: two would each count sender_daily_max in memory, so together let a
 * sender pass it. Take an exclusive flock() on DATABASE.lock (created next to the database,
 * holding the process id) for the life of the process; the kernel drops it when the process
 * dies, so a file left behind does not hold anybody back. CG_EBUSY naming the database and the
 * process holding it when another has it; CG_ECONFIG when the database's folder does not exist.
 */
struct cg_port_lock;
int cg_port_lock_take(const char *db_path, struct cg_port_lock **out, struct cg_err *err);
void cg_port_lock_release(struct cg_port_lock *l);

/* The [port] configuration keys (port-keys.c), for cg_conf_register(). */
extern const struct cg_conf_key cg_port_conf_keys[];

#endif
