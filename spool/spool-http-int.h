/*
 * spool-http-int.h - what spool-http.c and spool-http-receipts.c share: the transport handle,
 * curl easy-handle set-up, answer classification and backoff. Only spool/spool-http*.c
 * include it.
 */
#ifndef CG_SPOOL_HTTP_INT_H
#define CG_SPOOL_HTTP_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "core/buf.h"
#include "spool/spool.h"

/* Largest answer kept from a POST (the rest is read and dropped) and largest receipts page. */
#define CG_HTTP_ANSWER_MAX (64u * 1024u)
#define CG_HTTP_PAGE_MAX (64u * 1024u * 1024u)
/* Longest response text handed to the caller in an outcome. */
#define CG_HTTP_TEXT_MAX 2000

/* One parallel transfer slot; its easy handle lives as long as the transport. */
struct cg_http_slot {
    CURL *easy;
    size_t job; /* index of the message in flight, valid when busy */
    bool busy;
    struct curl_slist *own_headers; /* a message's own Content-Type, else NULL */
    struct cg_buf body;
    char errbuf[CURL_ERROR_SIZE];
};

struct cg_http {
    char *url;
    char *receipts_url;
    char *ca_file;
    char *client_cert;
    char *client_key;
    char *key_pass; /* secret: wiped on free, never logged */
    char *token;    /* secret: the sender's token, sent as Authorization: Bearer */
    long parallel;
    long connect_timeout_ms;
    long timeout_ms;
    long max_retries;
    long retry_deadline_ms;
    long retry_base_ms;
    long retry_max_delay_ms;
    uint64_t rng;
    volatile sig_atomic_t *stop; /* the caller's stop flag, or NULL */
    struct cg_http_stats stats;
    CURLM *multi;               /* its connection cache keeps connections alive between calls */
    struct cg_http_slot *slots; /* parallel of them */
    struct curl_slist *headers_xml;
    CURL *receipts_easy; /* kept for keep-alive between pages */
    long receipts_limit; /* > 0: ask for at most this many receipts per page */
    char receipts_errbuf[CURL_ERROR_SIZE];
};

/* What an attempt's answer means for the message. */
enum cg_http_verdict {
    CG_HTTP_V_ACK,      /* acknowledged */
    CG_HTTP_V_REJECT,   /* final rejection of this message */
    CG_HTTP_V_RETRY,    /* temporary: try again after a backoff */
    CG_HTTP_V_ENDPOINT, /* the endpoint or the TLS set-up is wrong: no retry helps */
};

/* The result of one attempt, filled by cg_http_classify(). */
struct cg_http_answer {
    enum cg_http_verdict verdict;
    int rc;           /* CG_HTTP_V_ENDPOINT: CG_ECRYPTO, CG_ECONFIG or CG_ENOMEM */
    long status;      /* HTTP status, 0 when none */
    long retry_after; /* seconds from Retry-After, 0 when none */
    bool duplicate;   /* acknowledged as a re-send of a message the port already had */
    char code[32];
    char text[CG_HTTP_TEXT_MAX + 1];
};

/* Monotonic clock in milliseconds. */
int64_t cg_http_now_ms(void);

/* Longest wait between two looks at the stop flag. */
#define CG_HTTP_STOP_SLICE_MS 200

/* Whether the caller asked to stop (the flag is set). */
bool cg_http_stopped(const struct cg_http *h);

/*
 * Run one transfer on the easy handle e through the transport's multi handle (its connection
 * cache), looking at the stop flag every CG_HTTP_STOP_SLICE_MS. *cc: curl's result. CG_OK when
 * the transfer ended (well or not: see *cc), CG_ERETRY when it was abandoned for a stop
 * request, CG_ERR when the multi interface failed.
 */
int cg_http_perform(struct cg_http *h, CURL *e, CURLcode *cc);

/* Sleep ms milliseconds in slices, returning early (false) when the stop flag is set. */
bool cg_http_sleep(const struct cg_http *h, int64_t ms);

/* Options shared by every easy handle: TLS (verification always on), client certificate,
 * timeouts, error buffer, no redirects, http/https only. errbuf: CURL_ERROR_SIZE bytes. */
int cg_http_easy_setup(struct cg_http *h, CURL *e, char *errbuf, struct cg_err *err);

/* curl write callback appending to a struct cg_buf; data past the ceiling is dropped. */
size_t cg_http_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);

/*
 * Classify a finished POST: the curl result, the HTTP status and the answer body (the port's
 * JSON, see docs/http-transport.md). errbuf: curl's words for a failed transfer.
 */
void cg_http_classify(CURL *e, CURLcode cc, const char *errbuf, const struct cg_buf *body,
                      struct cg_http_answer *a);

/* True for an answer that refuses the sender's credentials (401, 403): the token or the client
 * certificate, not the URL nor a message. */
bool cg_http_credentials_refused(const struct cg_http_answer *a);

/*
 * What to check for an endpoint answer that no retry can help (CG_HTTP_V_ENDPOINT with
 * CG_ECONFIG), as "check [transport] KEY...": token_file for 401; client_cert and client_key
 * (or token_file) for 403; else url_key, the setting that named the URL ("url",
 * "receipts_url"). A static string.
 */
const char *cg_http_endpoint_hint(const struct cg_http_answer *a, const char *url_key);

/*
 * Delay before retry number `retry` (1 = first retry): retry_base_ms doubling, capped at
 * retry_max_delay_ms, with jitter in [d/2, d]; never less than retry_after seconds.
 */
int64_t cg_http_backoff_ms(struct cg_http *h, int retry, long retry_after);

#endif
