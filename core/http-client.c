/*
 * http-client.c - the TLS and transfer policy of every HTTP(S) client (core/http-client.h).
 *
 * Owns nothing: it only sets options on the caller's handle. Fails with CG_EUNSUPPORTED naming
 * the first option libcurl refused (an old libcurl, a TLS backend without TLS 1.2).
 */
#include "config.h"

#include <stddef.h>

#include "core/http-client.h"

/* Record the first refused option; later ones are still tried so the handle is consistent. */
static void set(CURL *e, CURLoption opt, const char *name, long v, const char **bad)
{
    if (curl_easy_setopt(e, opt, v) != CURLE_OK && *bad == NULL)
        *bad = name;
}

static void set_ptr(CURL *e, CURLoption opt, const char *name, const void *v, const char **bad)
{
    if (curl_easy_setopt(e, opt, v) != CURLE_OK && *bad == NULL)
        *bad = name;
}

int cg_http_client_setup(CURL *e, const struct cg_http_client_opts *o, char *errbuf,
                         struct cg_err *err)
{
    const char *bad = NULL;

    errbuf[0] = '\0';
    set_ptr(e, CURLOPT_ERRORBUFFER, "CURLOPT_ERRORBUFFER", errbuf, &bad);
    set(e, CURLOPT_NOSIGNAL, "CURLOPT_NOSIGNAL", 1L, &bad);
#if LIBCURL_VERSION_NUM >= 0x075500
    set_ptr(e, CURLOPT_PROTOCOLS_STR, "CURLOPT_PROTOCOLS_STR", "http,https", &bad);
#else
    set(e, CURLOPT_PROTOCOLS, "CURLOPT_PROTOCOLS", (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS), &bad);
#endif
    set(e, CURLOPT_FOLLOWLOCATION, "CURLOPT_FOLLOWLOCATION", 0L, &bad);
    set(e, CURLOPT_SSL_VERIFYPEER, "CURLOPT_SSL_VERIFYPEER", 1L, &bad);
    set(e, CURLOPT_SSL_VERIFYHOST, "CURLOPT_SSL_VERIFYHOST", 2L, &bad);
    set(e, CURLOPT_SSLVERSION, "CURLOPT_SSLVERSION", (long)CURL_SSLVERSION_TLSv1_2, &bad);
    if (o->ca_file != NULL)
        set_ptr(e, CURLOPT_CAINFO, "CURLOPT_CAINFO", o->ca_file, &bad);
    if (o->client_cert != NULL) {
        set_ptr(e, CURLOPT_SSLCERT, "CURLOPT_SSLCERT", o->client_cert, &bad);
        set_ptr(e, CURLOPT_SSLCERTTYPE, "CURLOPT_SSLCERTTYPE", "PEM", &bad);
        if (o->client_key != NULL) {
            set_ptr(e, CURLOPT_SSLKEY, "CURLOPT_SSLKEY", o->client_key, &bad);
            set_ptr(e, CURLOPT_SSLKEYTYPE, "CURLOPT_SSLKEYTYPE", "PEM", &bad);
        }
        /* Always a passphrase (maybe empty), so an encrypted key fails instead of prompting. */
        set_ptr(e, CURLOPT_KEYPASSWD, "CURLOPT_KEYPASSWD", o->key_pass != NULL ? o->key_pass : "",
                &bad);
    }
    set(e, CURLOPT_CONNECTTIMEOUT_MS, "CURLOPT_CONNECTTIMEOUT_MS", o->connect_timeout_ms, &bad);
    set(e, CURLOPT_TIMEOUT_MS, "CURLOPT_TIMEOUT_MS", o->timeout_ms, &bad);
    set_ptr(e, CURLOPT_USERAGENT, "CURLOPT_USERAGENT", PACKAGE_NAME "/" PACKAGE_VERSION, &bad);
    if (bad != NULL)
        return CG_ERR_SET(err, CG_EUNSUPPORTED, "libcurl refused option %s", bad);
    return CG_OK;
}
