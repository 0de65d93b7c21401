/*
 * http-client.h - the one TLS and transfer policy for every HTTP(S) client in cebgate: the
 * spool's transport to the port, the remote signer, and anything later.
 *
 * cg_http_client_setup() puts the policy on a libcurl easy handle: only http and https, no
 * redirects, TLS 1.2 or newer, peer and host verification always on (ca_file adds a CA file;
 * nothing turns verification off), an optional client certificate for mutual TLS whose key
 * always gets a passphrase (possibly empty) so an encrypted key fails instead of prompting, no
 * signals, the timeouts given, curl's error text into errbuf, our user agent. Every
 * curl_easy_setopt result is checked: an option libcurl refuses fails the set-up with
 * CG_EUNSUPPORTED naming it, rather than running with a weaker policy. The caller adds the URL,
 * headers and callbacks, checking each result the same way, and owns the handle and every
 * string it passes, which must outlive the handle's transfers.
 */
#ifndef CG_HTTP_CLIENT_H
#define CG_HTTP_CLIENT_H

#include <curl/curl.h>

#include "core/err.h"

struct cg_http_client_opts {
    const char *ca_file;     /* extra CA certificates (PEM), NULL: the system store */
    const char *client_cert; /* PEM, NULL: no client certificate */
    const char *client_key;  /* PEM, NULL: in client_cert */
    const char *key_pass;    /* passphrase of client_key, NULL: "" */
    long connect_timeout_ms; /* > 0 */
    long timeout_ms;         /* whole transfer, > 0 */
};

/* Apply the policy to e; errbuf has CURL_ERROR_SIZE bytes and receives curl's error text. */
int cg_http_client_setup(CURL *e, const struct cg_http_client_opts *o, char *errbuf,
                         struct cg_err *err);

#endif
