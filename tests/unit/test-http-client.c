/*
 * test-http-client.c - the one HTTP client policy (core/http-client.h): the options it puts on
 * a handle (TLS 1.2 or newer, verification on, no redirects, http and https only, a passphrase
 * always given for a client key) and an option libcurl refuses failing the set-up by name.
 *
 * curl_easy_setopt is wrapped (-Wl,--wrap): the test records every option and value, and can
 * make one option fail; the values are forwarded to libcurl unchanged otherwise.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/http-client.h"

#undef curl_easy_setopt

CURLcode __real_curl_easy_setopt(CURL *e, CURLoption opt, ...);
CURLcode __wrap_curl_easy_setopt(CURL *e, CURLoption opt, ...);

static struct {
    CURLoption opt;
    long lval;
    const void *pval;
} seen[64];
static int nseen;
static CURLoption refuse; /* 0: none */

CURLcode __wrap_curl_easy_setopt(CURL *e, CURLoption opt, ...)
{
    va_list ap;
    CURLcode rc;

    va_start(ap, opt);
    if (opt < CURLOPTTYPE_OBJECTPOINT) {
        long v = va_arg(ap, long);
        if (nseen < 64) {
            seen[nseen].opt = opt;
            seen[nseen++].lval = v;
        }
        rc = opt == refuse ? CURLE_UNKNOWN_OPTION : __real_curl_easy_setopt(e, opt, v);
    } else if (opt >= CURLOPTTYPE_OFF_T) {
        curl_off_t v = va_arg(ap, curl_off_t);
        rc = opt == refuse ? CURLE_UNKNOWN_OPTION : __real_curl_easy_setopt(e, opt, v);
    } else {
        void *v = va_arg(ap, void *);
        if (nseen < 64) {
            seen[nseen].opt = opt;
            seen[nseen++].pval = v;
        }
        rc = opt == refuse ? CURLE_UNKNOWN_OPTION : __real_curl_easy_setopt(e, opt, v);
    }
    va_end(ap);
    return rc;
}

static int find(CURLoption opt)
{
    int i;

    for (i = nseen - 1; i >= 0; i--) {
        if (seen[i].opt == opt)
            return i;
    }
    return -1;
}

static void test_policy(void **state)
{
    struct cg_http_client_opts o = {
        "/etc/ssl/certs/ca-certificates.crt", "c.pem", "k.pem", NULL, 5000, 20000};
    char errbuf[CURL_ERROR_SIZE];
    struct cg_err err;
    CURL *e = curl_easy_init();
    int i;

    (void)state;
    assert_non_null(e);
    nseen = 0;
    refuse = (CURLoption)0;
    assert_int_equal(cg_http_client_setup(e, &o, errbuf, &err), CG_OK);
    assert_true((i = find(CURLOPT_SSLVERSION)) >= 0);
    assert_int_equal(seen[i].lval, CURL_SSLVERSION_TLSv1_2);
    assert_true((i = find(CURLOPT_SSL_VERIFYPEER)) >= 0);
    assert_int_equal(seen[i].lval, 1);
    assert_true((i = find(CURLOPT_SSL_VERIFYHOST)) >= 0);
    assert_int_equal(seen[i].lval, 2);
    assert_true((i = find(CURLOPT_FOLLOWLOCATION)) >= 0);
    assert_int_equal(seen[i].lval, 0);
    assert_true((i = find(CURLOPT_CAINFO)) >= 0);
    assert_string_equal(seen[i].pval, o.ca_file);
    /* No passphrase given: an empty one, so an encrypted key fails instead of prompting. */
    assert_true((i = find(CURLOPT_KEYPASSWD)) >= 0);
    assert_string_equal(seen[i].pval, "");
    assert_true((i = find(CURLOPT_CONNECTTIMEOUT_MS)) >= 0);
    assert_int_equal(seen[i].lval, 5000);
#if LIBCURL_VERSION_NUM >= 0x075500
    assert_true((i = find(CURLOPT_PROTOCOLS_STR)) >= 0);
    assert_string_equal(seen[i].pval, "http,https");
#endif
    curl_easy_cleanup(e);
}

static void test_refused_option(void **state)
{
    static const CURLoption opts[] = {CURLOPT_SSLVERSION, CURLOPT_SSL_VERIFYPEER,
                                      CURLOPT_SSL_VERIFYHOST, CURLOPT_FOLLOWLOCATION};
    static const char *const names[] = {"CURLOPT_SSLVERSION", "CURLOPT_SSL_VERIFYPEER",
                                        "CURLOPT_SSL_VERIFYHOST", "CURLOPT_FOLLOWLOCATION"};
    struct cg_http_client_opts o = {NULL, NULL, NULL, NULL, 1000, 1000};
    char errbuf[CURL_ERROR_SIZE];
    struct cg_err err;
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
        CURL *e = curl_easy_init();
        assert_non_null(e);
        refuse = opts[k];
        cg_err_clear(&err);
        assert_int_equal(cg_http_client_setup(e, &o, errbuf, &err), CG_EUNSUPPORTED);
        assert_non_null(strstr(err.msg, names[k]));
        curl_easy_cleanup(e);
    }
    refuse = (CURLoption)0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy),
        cmocka_unit_test(test_refused_option),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
