/*
 * port.c - building a struct cg_port from the [port] configuration, and freeing it.
 *
 * Loads everything the checks need before anything listens: the TLS certificate and key (kept
 * in memory for libmicrohttpd, never logged), the client CA for mutual TLS, the trusted signer
 * certificates, the compiled schema, the customs code tables (mapping's cg_codes), the scenario
 * rules, the senders ([sender.NAME], port-sender.c); opens the database (store/store-port.h:
 * a writer connection and a read connection) and reads each sender's messages of the day
 * (sender_daily_max, port-quota.c). Also the read-only views (statistics, the
 * document dump) that `cebgate port --stats`, --documents and GET /metrics use, and the lock
 * that keeps one port per database (cg_port_lock_take).
 * Any failure is a configuration error naming the key and the file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/money.h"
#include "mapping/mapping.h"
#include "port/port-int.h"

#define PEM_MAX (1024u * 1024u)

void cg_port_err_at(const struct cg_conf *conf, const char *section, const char *key,
                    struct cg_err *err)
{
    int line;

    if (conf == NULL || key == NULL || err == NULL || err->code == CG_OK || err->code == CG_ENOMEM)
        return;
    line = cg_conf_line(conf, section, key);
    if (line > 0)
        cg_err_prefix(err, "%s:%d", cg_conf_file(conf), line);
}

int cg_port_conf_file(const char *what, const char *path, size_t max, struct cg_buf *b,
                      struct cg_err *err)
{
    int rc = cg_fs_read(path, max, b, err);

    if (rc == CG_ENOTFOUND)
        return CG_ERR_SET(err, CG_ECONFIG, "%s %s: no such file", what, path);
    if (rc != CG_OK) {
        cg_err_prefix(err, "%s", what);
        if (!cg_rc_temporary(rc))
            err->code = rc = CG_ECONFIG;
    }
    return rc;
}

void cg_port_secret_mode(const char *what, const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && (st.st_mode & 077) != 0)
        cg_warn("port: %s %s may be read by its group or by others (mode %04o): chmod 600 %s", what,
                path, (unsigned)(st.st_mode & 07777), path);
}

/* An ASN1_TIME as "YYYY-MM-DD hh:mm:ss UTC". */
static void asn1_when(const ASN1_TIME *t, char out[32])
{
    struct tm tm;

    if (ASN1_TIME_to_tm(t, &tm) != 1 || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        cg_strlcpy(out, "(unreadable date)", 32);
}

int cg_port_cert_dates(const void *x509, const char *section, const char *what, const char *path,
                       struct cg_err *err)
{
    const ASN1_TIME *nb = X509_get0_notBefore(x509);
    const ASN1_TIME *na = X509_get0_notAfter(x509);
    char when[32];
    int days = 0;
    int secs = 0;

    if (X509_cmp_current_time(nb) >= 0) {
        asn1_when(nb, when);
        return CG_ERR_SET(err, CG_ECONFIG, "%s %s: the certificate is not valid before %s", what,
                          path, when);
    }
    asn1_when(na, when);
    if (X509_cmp_current_time(na) <= 0)
        return CG_ERR_SET(err, CG_ECONFIG, "%s %s: the certificate expired on %s", what, path,
                          when);
    if (ASN1_TIME_diff(&days, &secs, NULL, na) == 1 && days < CG_PORT_EXPIRY_WARN_DAYS) {
        if (days == 0)
            cg_warn("port: %s%s%s %s: the certificate expires on %s, in less than a day",
                    section != NULL ? section : "", section != NULL ? " " : "", what, path, when);
        else
            cg_warn("port: %s%s%s %s: the certificate expires on %s, in %d day%s",
                    section != NULL ? section : "", section != NULL ? " " : "", what, path, when,
                    days, days == 1 ? "" : "s");
    }
    ERR_clear_error();
    return CG_OK;
}

/* The PEM file [port] key names, in *out (NULL when unset); secret: a key, checked for its mode. */
static int read_pem(const struct cg_conf *conf, const char *key, bool secret, char **out,
                    struct cg_err *err)
{
    struct cg_buf b;
    char what[64];
    char *path = cg_conf_get_path(conf, "port", key);
    int rc;

    *out = NULL;
    if (path == NULL)
        return CG_OK;
    snprintf(what, sizeof(what), "[port] %s", key);
    cg_buf_init(&b, PEM_MAX);
    rc = cg_port_conf_file(what, path, PEM_MAX, &b, err);
    if (rc == CG_OK)
        *out = cg_buf_take(&b);
    if (rc == CG_OK && secret)
        cg_port_secret_mode(what, path);
    cg_buf_free(&b);
    free(path);
    if (rc == CG_OK && *out == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return rc;
}

/* [port] trust: PEM files separated by commas, relative to the configuration's folder. */
static int load_trust(struct cg_port *p, const struct cg_conf *conf, struct cg_err *err)
{
    const char *list = cg_conf_get(conf, "port", "trust");
    const char *s = list;
    char name[4096];
    char *path = NULL;
    size_t len;
    int rc = CG_OK;

    rc = cg_trust_new(&p->trust, err);
    if (rc == CG_OK && cg_conf_get(conf, "port", "sm2_id") != NULL)
        rc = cg_trust_set_sm2_id(p->trust, cg_conf_get(conf, "port", "sm2_id"), err);
    if (rc != CG_OK)
        return rc;
    while (s != NULL && *s != '\0') {
        while (*s == ' ' || *s == ',')
            s++;
        len = strcspn(s, ",");
        while (len > 0 && s[len - 1] == ' ')
            len--;
        if (len == 0)
            break;
        if (len >= sizeof(name))
            return CG_ERR_SET(err, CG_ECONFIG, "[port] trust: a path is too long");
        memcpy(name, s, len);
        name[len] = '\0';
        s += len;
        free(path);
        path = name[0] == '/' ? cg_strdup(name) : cg_fs_join(cg_conf_dir(conf), name);
        if (path == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "[port] trust %s: no such file", path);
            break;
        }
        rc = cg_trust_add_file(p->trust, path, err);
        if (rc != CG_OK) {
            cg_err_prefix(err, "[port] trust");
            /* a file that holds no certificate OpenSSL can read is the configuration's */
            if (rc == CG_ECRYPTO)
                err->code = rc = CG_ECONFIG;
            break;
        }
        p->ntrusted++;
    }
    free(path);
    return rc;
}

/* A passphrase callback that gives none: an encrypted key fails to load instead of prompting. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/*
 * The TLS server certificate (the first of tls_cert) must be within its validity period and be
 * the certificate of tls_key: libmicrohttpd would only fail to listen, without saying why. Its
 * fingerprint is kept: a message signed with it is refused.
 */
static int tls_check(struct cg_port *p, const struct cg_conf *conf, const char **at,
                     struct cg_err *err)
{
    char *cert_path = cg_conf_get_path(conf, "port", "tls_cert");
    char *key_path = cg_conf_get_path(conf, "port", "tls_key");
    BIO *bio = BIO_new_mem_buf(p->tls_cert_pem, -1);
    BIO *kbio = BIO_new_mem_buf(p->tls_key_pem, -1);
    X509 *x = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = NULL;
    unsigned char *der = NULL;
    int len;
    int rc = CG_OK;

    if (cert_path == NULL || key_path == NULL || bio == NULL || kbio == NULL)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else if (x == NULL)
        rc = CG_ERR_SET(err, CG_ECONFIG, "[port] tls_cert %s holds no PEM certificate", cert_path);
    else if ((rc = cg_port_cert_dates(x, NULL, "[port] tls_cert", cert_path, err)) != CG_OK)
        ;
    else if ((key = PEM_read_bio_PrivateKey(kbio, NULL, no_passphrase, NULL)) == NULL) {
        *at = "tls_key";
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[port] tls_key %s holds no PEM private key (or an encrypted one)",
                        key_path);
    } else if (X509_check_private_key(x, key) != 1) {
        *at = "tls_key";
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[port] tls_key %s is not the key of the certificate in [port] tls_cert %s",
                        key_path, cert_path);
    } else if ((len = i2d_X509(x, &der)) <= 0)
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    else
        cg_port_der_fingerprint(der, (size_t)len, p->server_fp);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    X509_free(x);
    BIO_free(bio);
    BIO_free(kbio);
    free(cert_path);
    free(key_path);
    ERR_clear_error();
    return rc;
}

/* body_budget must hold one of what key bounds (a body, a page of receipts): else why. */
static int budget_holds(const struct cg_port *p, const char *key, size_t n, const char *why,
                        struct cg_err *err)
{
    if (p->body_budget >= n)
        return CG_OK;
    return CG_ERR_SET(err, CG_ECONFIG, "[port] body_budget (%zu) is smaller than %s (%zu): %s",
                      p->body_budget, key, n, why);
}

/*
 * One sender's share of body_budget: sender_budget, or with 0 a quarter of body_budget (so that
 * one sender holds at most a quarter and the others always find the rest), but never less than
 * one body of max_body or one page of receipts. A share that cannot hold one of them, or is
 * larger than the whole, is refused.
 */
static int sender_share(struct cg_port *p, long conf_value, struct cg_err *err)
{
    size_t s = (size_t)conf_value;

    if (conf_value == 0) {
        s = p->body_budget / 4;
        if (s < p->max_body)
            s = p->max_body;
        if (s < p->receipts_page_bytes)
            s = p->receipts_page_bytes;
    } else if (s < p->max_body) {
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[port] sender_budget (%zu) is smaller than max_body (%zu): a message "
                          "of max_body bytes could never be received",
                          s, p->max_body);
    } else if (s < p->receipts_page_bytes) {
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[port] sender_budget (%zu) is smaller than receipts_page_bytes (%zu): "
                          "a page of receipts could never be answered",
                          s, p->receipts_page_bytes);
    } else if (s > p->body_budget) {
        return CG_ERR_SET(err, CG_ECONFIG,
                          "[port] sender_budget (%zu) is larger than body_budget (%zu): one "
                          "sender's share is at most the whole (0 for a quarter of it)",
                          s, p->body_budget);
    }
    p->sender_budget = s;
    return CG_OK;
}

/* The folder of [port] database must exist: SQLite would say only "unable to open database
 * file", and the port does not create it (a mistyped path would start an empty database). */
static int db_folder_ok(const char *db_path, struct cg_err *err)
{
    char *d = cg_strdup(db_path);
    struct stat st;
    int rc = CG_OK;

    if (d == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (stat(dirname(d), &st) != 0 || !S_ISDIR(st.st_mode))
        rc = CG_ERR_SET(err, CG_ECONFIG, "[port] database %s: the folder %s does not exist",
                        db_path, d);
    free(d);
    return rc;
}

/* The first of the [port] keys a, b, c (c may be NULL) written in the file, else a: a refusal
 * that concerns several keys names the line of one the operator wrote. */
static const char *first_written(const struct cg_conf *conf, const char *a, const char *b,
                                 const char *c)
{
    if (cg_conf_line(conf, "port", a) > 0)
        return a;
    if (cg_conf_line(conf, "port", b) > 0)
        return b;
    if (c != NULL && cg_conf_line(conf, "port", c) > 0)
        return c;
    return a;
}

int cg_port_new(const struct cg_conf *conf, struct cg_port **out, struct cg_err *err)
{
    struct cg_port *p = calloc(1, sizeof(*p));
    char *data_dir = NULL;
    char *codes_dir = NULL;
    const char *at = NULL; /* the [port] key a refusal concerns: its line is named */
    const char *s;
    int rc;

    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (pthread_mutex_init(&p->flock, NULL) != 0 || pthread_mutex_init(&p->rlock, NULL) != 0 ||
        pthread_mutex_init(&p->wlock, NULL) != 0 || pthread_mutex_init(&p->qlock, NULL) != 0 ||
        pthread_mutex_init(&p->dlock, NULL) != 0 || pthread_cond_init(&p->qcond, NULL) != 0 ||
        pthread_cond_init(&p->dcond, NULL) != 0) {
        free(p);
        return CG_ERR_SET(err, CG_ENOMEM, "cannot set up locks");
    }
    p->locks_up = true;
    p->listen = cg_strdup(cg_conf_get(conf, "port", "listen"));
    p->port = cg_conf_get_int(conf, "port", "port");
    p->insecure_http = cg_conf_get_bool(conf, "port", "insecure_http");
    p->db_path = cg_conf_get_path(conf, "port", "database");
    p->max_body = (size_t)cg_conf_get_int(conf, "port", "max_body");
    p->body_budget = (size_t)cg_conf_get_int(conf, "port", "body_budget");
    p->max_connections = cg_conf_get_int(conf, "port", "max_connections");
    p->timeout_s = cg_conf_get_int(conf, "port", "timeout");
    p->version = cg_strdup(cg_conf_get(conf, "port", "schema_version"));
    p->require_signature = cg_conf_get_bool(conf, "port", "require_signature");
    p->receipts_dir = cg_conf_get_path(conf, "port", "receipts_dir");
    p->format_receipts = cg_conf_get_bool(conf, "port", "format_receipts");
    p->customs_code = cg_strdup(cg_conf_get(conf, "port", "customs_code"));
    p->max_per_client = cg_conf_get_int(conf, "port", "max_per_client");
    p->read_deadline_s = cg_conf_get_int(conf, "port", "read_deadline");
    p->drain_s = cg_conf_get_int(conf, "port", "drain_timeout");
    p->max_attributes = cg_conf_get_int(conf, "port", "max_attributes");
    p->max_total_attributes = cg_conf_get_int(conf, "port", "max_total_attributes");
    p->max_namespaces = cg_conf_get_int(conf, "port", "max_namespaces");
    p->max_element_namespaces = cg_conf_get_int(conf, "port", "max_element_namespaces");
    p->max_elements = cg_conf_get_int(conf, "port", "max_elements");
    p->max_summary_lines = cg_conf_get_int(conf, "port", "max_summary_lines");
    p->max_depth = cg_conf_get_int(conf, "port", "max_depth");
    p->max_text = cg_conf_get_int(conf, "port", "max_text");
    p->cpu_budget_ms = cg_conf_get_int(conf, "port", "cpu_budget_ms");
    p->receipts_page_bytes = (size_t)cg_conf_get_int(conf, "port", "receipts_page_bytes");
    p->sender_daily_max = cg_conf_get_int(conf, "port", "sender_daily_max");
    p->metrics = cg_strdup(cg_conf_get(conf, "port", "metrics"));
    p->fault_503 = (int)cg_conf_get_int(conf, "port", "fault_503_percent");
    p->fault_drop = (int)cg_conf_get_int(conf, "port", "fault_drop_percent");
    p->fault_twice = cg_conf_get_bool(conf, "port", "fault_receipts_twice");
    p->scenario.accept_ms = cg_conf_get_int(conf, "port", "accept_ms");
    p->scenario.release_ms = cg_conf_get_int(conf, "port", "release_ms");
    p->scenario.close_ms = cg_conf_get_int(conf, "port", "close_ms");
    p->scenario.close_on_departure = cg_conf_get_bool(conf, "port", "close_after_departure");
    p->scenario.reject_status = (int)cg_conf_get_int(conf, "port", "reject_status");
    p->threads = cg_conf_get_int(conf, "port", "threads");
    if (p->threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        p->threads = n > 0 ? (n < 64 ? n : 64) : 2;
    }
    p->commit_max = cg_conf_get_int(conf, "port", "commit_max");
    p->commit_wait_ms = cg_conf_get_int(conf, "port", "commit_wait_ms");
    if (p->listen == NULL || p->db_path == NULL || p->version == NULL || p->customs_code == NULL ||
        p->metrics == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    at = "tolerance";
    if (cg_dec_parse(cg_conf_get(conf, "port", "tolerance"), &p->tolerance) != CG_OK ||
        p->tolerance < 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[port] tolerance: '%s' is not a decimal >= 0",
                        cg_conf_get(conf, "port", "tolerance"));
        goto fail;
    }
    at = first_written(conf, "body_budget", "max_body", "receipts_page_bytes");
    if ((rc = budget_holds(p, "max_body", p->max_body,
                           "a message of max_body bytes could never be received", err)) != CG_OK ||
        (rc = budget_holds(p, "receipts_page_bytes", p->receipts_page_bytes,
                           "a page of receipts could never be answered", err)) != CG_OK)
        goto fail;
    at = first_written(conf, "sender_budget", "body_budget", "max_body");
    if ((rc = sender_share(p, cg_conf_get_int(conf, "port", "sender_budget"), err)) != CG_OK)
        goto fail;
    at = first_written(conf, "accept_ms", "release_ms", "close_ms");
    if (p->scenario.release_ms < p->scenario.accept_ms ||
        p->scenario.close_ms < p->scenario.release_ms) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[port] the scenario needs accept_ms <= release_ms <= close_ms");
        goto fail;
    }
    at = "reject_rules";
    s = cg_conf_get(conf, "port", "reject_rules");
    if (s != NULL && (rc = cg_port_scenario_rules(&p->scenario, s, err)) != CG_OK)
        goto fail;
    if ((rc = read_pem(conf, at = "tls_cert", false, &p->tls_cert_pem, err)) != CG_OK ||
        (rc = read_pem(conf, at = "tls_key", true, &p->tls_key_pem, err)) != CG_OK ||
        (rc = read_pem(conf, at = "tls_client_ca", false, &p->tls_client_ca_pem, err)) != CG_OK)
        goto fail;
    at = p->tls_cert_pem != NULL ? "tls_cert" : "tls_key";
    if ((p->tls_cert_pem == NULL) != (p->tls_key_pem == NULL)) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[port] tls_cert and tls_key go together");
        goto fail;
    }
    at = "tls_client_ca";
    if (p->tls_client_ca_pem != NULL && p->tls_cert_pem == NULL) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[port] tls_client_ca needs tls_cert and tls_key");
        goto fail;
    }
    at = "tls_cert";
    if (p->tls_cert_pem != NULL && (rc = tls_check(p, conf, &at, err)) != CG_OK)
        goto fail;
    at = "listen";
    rc = cg_port_listen_check(p, err);
    if (rc != CG_OK)
        goto fail;
    at = "trust";
    rc = load_trust(p, conf, err);
    if (rc != CG_OK)
        goto fail;
    at = NULL; /* each sender's refusals name their own key's line */
    rc = cg_port_senders_load(p, conf, err);
    if (rc != CG_OK)
        goto fail;
    at = first_written(conf, "trust", "require_signature", NULL);
    if (p->ntrusted == 0 && p->require_signature) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[port] trust names no signer certificate, so no signed message could "
                        "be accepted (or set require_signature = no)");
        goto fail;
    }
    at = NULL;
    data_dir = cg_conf_data_dir(conf);
    if (data_dir == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    rc = cg_schema_load(data_dir, p->version, &p->schema, err);
    if (rc != CG_OK)
        goto fail;
    at = "codes_dir";
    codes_dir = cg_conf_get_path(conf, "port", "codes_dir");
    rc = cg_codes_load(codes_dir != NULL ? codes_dir : data_dir, &p->codes, err);
    if (rc != CG_OK) {
        cg_err_prefix(err, "[port] code tables");
        goto fail;
    }
    at = "receipts_dir";
    if (p->receipts_dir != NULL && (rc = cg_fs_mkdir_p(p->receipts_dir, 0750, err)) != CG_OK)
        goto fail;
    at = "database";
    rc = db_folder_ok(p->db_path, err);
    if (rc == CG_OK)
        rc = cg_store_port_open(p->db_path, &p->db, err);
    if (rc == CG_OK)
        rc = cg_store_port_open(p->db_path, &p->rdb, err);
    /* each sender's messages of the day so far, for sender_daily_max */
    if (rc == CG_OK)
        rc = cg_port_quota_load(p, cg_port_now_ms(), err);
    if (rc != CG_OK)
        goto fail;
    if (getrandom(&p->rng, sizeof(p->rng), 0) != (ssize_t)sizeof(p->rng) || p->rng == 0)
        p->rng = (uint64_t)cg_port_now_ms() | 1;
    free(data_dir);
    free(codes_dir);
    *out = p;
    return CG_OK;
fail:
    cg_port_err_at(conf, "port", at, err);
    free(data_dir);
    free(codes_dir);
    cg_port_free(p);
    return rc;
}

void cg_port_free(struct cg_port *p)
{
    if (p == NULL)
        return;
    cg_port_writer_stop(p);
    if (p->mhd != NULL)
        MHD_stop_daemon(p->mhd);
    cg_store_port_close(p->db);
    cg_store_port_close(p->rdb);
    free(p->wjobs);
    free(p->wconns);
    cg_schema_free(p->schema);
    cg_trust_free(p->trust);
    cg_codes_free(p->codes);
    cg_port_scenario_clear(&p->scenario);
    cg_port_senders_free(p);
    free(p->metrics);
    free(p->listen);
    free(p->tls_cert_pem);
    if (p->tls_key_pem != NULL) {
        explicit_bzero(p->tls_key_pem, strlen(p->tls_key_pem));
        free(p->tls_key_pem);
    }
    free(p->tls_client_ca_pem);
    free(p->db_path);
    free(p->version);
    free(p->receipts_dir);
    free(p->customs_code);
    if (p->locks_up) {
        pthread_mutex_destroy(&p->flock);
        pthread_mutex_destroy(&p->rlock);
        pthread_mutex_destroy(&p->wlock);
        pthread_mutex_destroy(&p->qlock);
        pthread_mutex_destroy(&p->dlock);
        pthread_cond_destroy(&p->qcond);
        pthread_cond_destroy(&p->dcond);
    }
    free(p);
}

int cg_port_roll(struct cg_port *p)
{
    int r;

    /* xorshift64*: enough for spreading injected faults, not for anything secret. */
    pthread_mutex_lock(&p->flock);
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    r = (int)((p->rng * UINT64_C(2685821657736338717)) >> 33) % 100;
    pthread_mutex_unlock(&p->flock);
    return r;
}

unsigned cg_port_bound_port(const struct cg_port *p)
{
    return p->bound_port;
}

bool cg_port_tls(const struct cg_port *p)
{
    return p->tls_cert_pem != NULL;
}

/* ------------------------------------------------------------------ views of the database */

static void copy_stats(const struct cg_store_port_stats *from, struct cg_port_stats *to)
{
    size_t i;

    memset(to, 0, sizeof(*to));
    to->received = from->received;
    to->accepted = from->accepted;
    to->accepted_again = from->accepted_again;
    to->rejected = from->rejected;
    for (i = 0; i < from->ncodes && i < sizeof(to->by_code) / sizeof(to->by_code[0]); i++) {
        cg_strlcpy(to->by_code[i].code, from->by_code[i].code, sizeof(to->by_code[i].code));
        to->by_code[i].n = from->by_code[i].n;
    }
    to->ncodes = i;
    to->documents = from->documents;
    to->documents_final = from->documents_final;
    to->receipts = from->receipts;
    to->receipts_pending = from->receipts_pending;
}

int cg_port_stats(struct cg_port *p, struct cg_port_stats *st, struct cg_err *err)
{
    struct cg_store_port_stats s;
    int rc;

    pthread_mutex_lock(&p->rlock);
    rc = cg_store_port_stats(p->rdb, &s, err);
    pthread_mutex_unlock(&p->rlock);
    if (rc == CG_OK)
        copy_stats(&s, st);
    return rc;
}

/* The views read a database that is there: opening a mistyped path would create an empty one
 * and show zeros. */
static int db_exists(const char *db_path, struct cg_err *err)
{
    struct stat st;

    if (stat(db_path, &st) == 0)
        return CG_OK;
    if (errno == ENOENT || errno == ENOTDIR)
        return CG_ERR_SET(err, CG_ECONFIG, "[port] database %s: no such file", db_path);
    return CG_ERR_SET(err, CG_EIO, "[port] database %s: %s", db_path, strerror(errno));
}

int cg_port_stats_read(const char *db_path, struct cg_port_stats *st, struct cg_err *err)
{
    struct cg_store_port *db = NULL;
    struct cg_store_port_stats s;
    int rc;

    rc = db_exists(db_path, err);
    if (rc == CG_OK)
        rc = cg_store_port_open(db_path, &db, err);
    if (rc == CG_OK)
        rc = cg_store_port_stats(db, &s, err);
    if (rc == CG_OK)
        copy_stats(&s, st);
    cg_store_port_close(db);
    return rc;
}

int cg_port_dump_documents(const char *db_path, FILE *fp, struct cg_err *err)
{
    struct cg_store_port *db = NULL;
    int rc;

    rc = db_exists(db_path, err);
    if (rc == CG_OK)
        rc = cg_store_port_open(db_path, &db, err);
    if (rc == CG_OK)
        rc = cg_store_port_dump_documents(db, fp, err);
    cg_store_port_close(db);
    return rc;
}

/* ------------------------------------------------------------------ one port per database */

struct cg_port_lock {
    int fd;
};

/* The pid a lock file holds, 0 when it holds none. */
static long lock_holder(int fd)
{
    char text[32];
    ssize_t r = pread(fd, text, sizeof(text) - 1, 0);
    long pid = 0;

    if (r <= 0)
        return 0;
    text[r] = '\0';
    text[strcspn(text, "\n")] = '\0';
    return cg_parse_long(text, 1, 0x7fffffffL, &pid) == CG_OK ? pid : 0;
}

int cg_port_lock_take(const char *db_path, struct cg_port_lock **out, struct cg_err *err)
{
    struct cg_port_lock *l = NULL;
    char *path = NULL;
    char pid[32];
    int fd = -1;
    int n;
    int rc;

    rc = db_folder_ok(db_path, err);
    if (rc != CG_OK)
        return rc;
    path = malloc(strlen(db_path) + sizeof(".lock"));
    if (path == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    snprintf(path, strlen(db_path) + sizeof(".lock"), "%s.lock", db_path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        rc = CG_ERR_SET(err, cg_rc_of_open_errno(errno, CG_ECONFIG),
                        "[port] database %s: cannot open the lock file %s: %s", db_path, path,
                        strerror(errno));
        goto done;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        long holder = e == EWOULDBLOCK ? lock_holder(fd) : 0;

        if (e != EWOULDBLOCK)
            rc = CG_ERR_SET(err, CG_EIO, "[port] database %s: cannot lock %s: %s", db_path, path,
                            strerror(e));
        else if (holder != 0)
            rc = CG_ERR_SET(err, CG_EBUSY,
                            "[port] database %s is in use by another cebgate port (process %ld, "
                            "%s): one port per database",
                            db_path, holder, path);
        else
            rc = CG_ERR_SET(err, CG_EBUSY,
                            "[port] database %s is in use by another cebgate port (%s): one port "
                            "per database",
                            db_path, path);
        goto done;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        rc = CG_ERR_SET(err, CG_EIO, "%s: cannot write the process id: %s", path, strerror(errno));
        goto done;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    l->fd = fd;
    fd = -1;
    *out = l;
done:
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

void cg_port_lock_release(struct cg_port_lock *l)
{
    if (l == NULL)
        return;
    /* emptied while still held: a pid left in the file is a port that did not stop cleanly */
    if (ftruncate(l->fd, 0) != 0)
        (void)0; /* the lock ends with the descriptor anyway */
    close(l->fd);
    free(l);
}
