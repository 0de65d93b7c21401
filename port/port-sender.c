/*
 * port-sender.c - the parties allowed to send to the port: the [sender.NAME] sections of the
 * port's configuration.
 *
 * A sender is known on the wire by its TLS client certificate (mutual TLS, compared by SHA-256
 * fingerprint after tls_client_ca has verified it) or by a token (Authorization: Bearer,
 * compared by SHA-256 in constant time; the token is read from token_file and only its hash is
 * kept). Its messages must be signed with one of its sign_cert certificates, and every document
 * must name one of its enterprise codes (codes) in the business key. Each code must be an
 * enterprise code (a 10-character customs registration code or an 18-character unified social
 * credit code) and one sender's only: a code two senders held would let either add the business
 * keys of the other first. The table is read once by
 * cg_port_new() and read-only after that, so every thread may use it. A bad entry is a
 * configuration error naming the section and key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/fsutil.h"
#include "core/log.h"
#include "core/text.h"
#include "port/port-int.h"

#define SENDER_FILE_MAX (1024u * 1024u)
#define TOKEN_MIN 16

static void token_hash(const char *tok, size_t len, unsigned char out[32])
{
    unsigned int n = 32;

    if (EVP_Digest(tok, len, out, &n, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
}

int cg_port_der_fingerprint(const unsigned char *der, size_t len, char out[65])
{
    cg_sha256_hex(der, len, out);
    return CG_OK;
}

/*
 * A sign_cert certificate must be one the port could accept a message signed with: within its
 * validity period (a warning when it ends soon), not a CA, meant for signatures, and verifying
 * against [port] trust as a message's certificate does. Else no message of the sender could be
 * accepted: a configuration error.
 */
static int check_signer(const struct cg_port *p, const char *section, X509 *x,
                        const unsigned char *der, size_t len, const char *path, size_t nth,
                        size_t count, struct cg_err *err)
{
    char what[96];
    int rc;

    if (count > 1)
        snprintf(what, sizeof(what), "sign_cert (certificate %zu of %zu)", nth, count);
    else
        snprintf(what, sizeof(what), "sign_cert");
    rc = cg_port_cert_dates(x, section, what, path, err);
    if (rc == CG_OK && p->ntrusted == 0)
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "%s %s: [port] trust names no certificate, so no message signed with it "
                        "could be accepted",
                        what, path);
    if (rc == CG_OK && (rc = cg_trust_check_signer(p->trust, der, len, err)) != CG_OK) {
        cg_err_prefix(err, "%s %s", what, path);
        if (rc == CG_ESIG)
            err->code = rc = CG_ECONFIG;
    }
    return rc;
}

/* SHA-256 fingerprints of every certificate in a PEM file, appended to *fps; with p, each is
 * checked as a signing certificate (check_signer). */
static int read_fingerprints(const struct cg_port *p, const char *section, const char *path,
                             const char *what, char (**fps)[65], size_t *n, struct cg_err *err)
{
    struct cg_buf b;
    BIO *bio = NULL;
    X509 **certs = NULL;
    X509 *x;
    size_t count = 0;
    size_t i;
    unsigned char *der = NULL;
    int len;
    int rc;

    cg_buf_init(&b, SENDER_FILE_MAX);
    rc = cg_port_conf_file(what, path, SENDER_FILE_MAX, &b, err);
    if (rc != CG_OK)
        goto done;
    bio = BIO_new_mem_buf(b.data, (int)b.len);
    if (bio == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509 **grown = realloc(certs, (count + 1) * sizeof(*certs));

        if (grown == NULL) {
            X509_free(x);
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        certs = grown;
        certs[count++] = x;
    }
    if (count == 0) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "%s: %s holds no PEM certificate", what, path);
        goto done;
    }
    for (i = 0; i < count; i++) {
        char(*grown)[65] = realloc(*fps, (*n + 1) * sizeof(**fps));

        der = NULL;
        len = i2d_X509(certs[i], &der);
        if (grown == NULL || len <= 0) {
            if (grown != NULL)
                *fps = grown;
            OPENSSL_free(der);
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        *fps = grown;
        if (p != NULL)
            rc = check_signer(p, section, certs[i], der, (size_t)len, path, i + 1, count, err);
        if (rc == CG_OK)
            cg_port_der_fingerprint(der, (size_t)len, (*fps)[(*n)++]);
        OPENSSL_free(der);
        if (rc != CG_OK)
            goto done;
    }
done:
    for (i = 0; i < count; i++)
        X509_free(certs[i]);
    free(certs);
    ERR_clear_error();
    BIO_free(bio);
    cg_buf_free(&b);
    return rc;
}

/*
 * The token is the first line of token_file, as the sending side reads it ([transport]
 * token_file), without the white space that ends it. An empty first line would be a token no
 * request could carry: refused, as a token shorter than TOKEN_MIN is.
 */
static int read_token(const char *section, const char *path, struct cg_port_sender *s,
                      struct cg_err *err)
{
    char what[300];
    struct cg_buf b;
    const char *nl;
    size_t len;
    int rc;

    cg_buf_init(&b, 4096);
    rc = cg_port_conf_file("token_file", path, 4096, &b, err);
    if (rc != CG_OK) {
        cg_buf_free(&b);
        return rc;
    }
    snprintf(what, sizeof(what), "%s token_file", section);
    cg_port_secret_mode(what, path);
    nl = b.len > 0 ? memchr(b.data, '\n', b.len) : NULL;
    len = nl != NULL ? (size_t)(nl - b.data) : b.len;
    while (len > 0 &&
           (b.data[len - 1] == '\r' || b.data[len - 1] == ' ' || b.data[len - 1] == '\t'))
        len--;
    if (len == 0)
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "token_file %s: the first line is empty (the token is the first line)",
                        path);
    else if (len < TOKEN_MIN || memchr(b.data, '\0', len) != NULL)
        rc = CG_ERR_SET(err, CG_ECONFIG, "token_file %s: a token has at least %d characters", path,
                        TOKEN_MIN);
    else
        token_hash(b.data, len, s->token_sha);
    s->has_token = rc == CG_OK;
    if (b.data != NULL)
        explicit_bzero(b.data, b.len);
    cg_buf_free(&b);
    return rc;
}

/* GB 32100-2015: the characters of a unified social credit code (no I, O, S, V, Z) and the
 * weights of its first 17 for the check character, the 18th. */
static const char uscc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};

/*
 * Whether code is an enterprise code as the documents carry it in the fields codes are matched
 * with (ebpCode, ebcCode, logisticsCode, operatorCode, agentCode): a 10-character customs
 * registration code (digits and upper-case letters) or an 18-character unified social credit
 * code with its check character. The port compares codes exactly, so a lower-case letter would
 * never match a document. false with why filled when not.
 */
static bool code_ok(const char *code, char *why, size_t size)
{
    size_t len = strlen(code);
    size_t chars = 0;
    size_t i;
    int sum = 0;
    const char *at;

    for (i = 0; i < len; i++)
        if (((unsigned char)code[i] & 0xc0) != 0x80)
            chars++;
    if (strcmp(code, "\xe6\x97\xa0") == 0) {
        snprintf(why, size,
                 "it is what an order on a foreign platform writes for ebpCode; such an order "
                 "is declared for its ebcCode, the seller's code, which goes in codes instead");
        return false;
    }
    if (len != 10 && len != 18) {
        snprintf(why, size,
                 "it has %zu characters, where a customs registration code has 10 and a "
                 "unified social credit code 18",
                 chars);
        return false;
    }
    for (i = 0; i < len; i++) {
        char ch = code[i];

        if (ch >= 'a' && ch <= 'z') {
            snprintf(why, size,
                     "letters of an enterprise code are upper case, as documents carry them "
                     "(codes are compared exactly)");
            return false;
        }
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'))) {
            snprintf(why, size, "an enterprise code has only digits and upper-case letters");
            return false;
        }
    }
    if (len == 10)
        return true;
    for (i = 0; i < 18; i++) {
        at = strchr(uscc_chars, code[i]);
        if (at == NULL) {
            snprintf(why, size,
                     "a unified social credit code has no letter %c (GB 32100: no I, O, S, V "
                     "or Z)",
                     code[i]);
            return false;
        }
        if (i < 17)
            sum += (int)(at - uscc_chars) * uscc_weights[i];
    }
    if (uscc_chars[(31 - sum % 31) % 31] != code[17]) {
        snprintf(why, size,
                 "its check character is not right for a unified social credit code (GB 32100 "
                 "gives %c for the 17 before it)",
                 uscc_chars[(31 - sum % 31) % 31]);
        return false;
    }
    return true;
}

static int read_codes(const char *list, struct cg_port_sender *s, struct cg_err *err)
{
    const char *p = list;
    size_t len;

    while (p != NULL && *p != '\0') {
        char **grown;
        char why[192];
        char shown[96];

        while (*p == ' ' || *p == ',')
            p++;
        len = strcspn(p, ", ");
        if (len == 0)
            break;
        grown = realloc(s->codes, (s->ncodes + 1) * sizeof(*s->codes));
        if (grown == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        s->codes = grown;
        s->codes[s->ncodes] = strndup(p, len);
        if (s->codes[s->ncodes] == NULL)
            return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        s->ncodes++;
        if (!code_ok(s->codes[s->ncodes - 1], why, sizeof(why)))
            return CG_ERR_SET(err, CG_ECONFIG, "codes: '%s' is not an enterprise code: %s",
                              cg_text_show(s->codes[s->ncodes - 1], shown, sizeof(shown)), why);
        p += len;
    }
    return CG_OK;
}

struct load_ctx {
    struct cg_port *p;
    const struct cg_conf *conf;
    struct cg_err *err;
};

static int load_one(const char *name, void *arg)
{
    struct load_ctx *lc = arg;
    struct cg_port *p = lc->p;
    struct cg_port_sender *grown;
    struct cg_port_sender *s;
    char section[256];
    char bracketed[260];
    char *path = NULL;
    const char *at = "token_file"; /* the key a refusal concerns: its line is named */
    int rc = CG_OK;

    snprintf(section, sizeof(section), "sender.%s", name);
    snprintf(bracketed, sizeof(bracketed), "[%s]", section);
    grown = realloc(p->senders, (p->nsenders + 1) * sizeof(*p->senders));
    if (grown == NULL)
        return CG_ERR_SET(lc->err, CG_ENOMEM, "out of memory");
    p->senders = grown;
    s = &p->senders[p->nsenders++];
    memset(s, 0, sizeof(*s));
    s->name = cg_strdup(name);
    if (s->name == NULL)
        return CG_ERR_SET(lc->err, CG_ENOMEM, "out of memory");
    if ((path = cg_conf_get_path(lc->conf, section, "token_file")) != NULL)
        rc = read_token(bracketed, path, s, lc->err);
    free(path);
    if (rc == CG_OK)
        at = "client_cert";
    if (rc == CG_OK && (path = cg_conf_get_path(lc->conf, section, "client_cert")) != NULL) {
        char(*fps)[65] = NULL;
        size_t n = 0;

        rc = read_fingerprints(NULL, NULL, path, "client_cert", &fps, &n, lc->err);
        if (rc == CG_OK && n != 1)
            rc = CG_ERR_SET(lc->err, CG_ECONFIG, "client_cert %s: one certificate expected", path);
        if (rc == CG_OK)
            memcpy(s->client_fp, fps[0], sizeof(s->client_fp));
        free(fps);
        free(path);
    }
    if (rc == CG_OK)
        at = "sign_cert";
    if (rc == CG_OK && (path = cg_conf_get_path(lc->conf, section, "sign_cert")) != NULL) {
        rc = read_fingerprints(p, bracketed, path, "sign_cert", &s->sign_fps, &s->nsign, lc->err);
        free(path);
    }
    if (rc == CG_OK) {
        at = "codes";
        rc = read_codes(cg_conf_get(lc->conf, section, "codes"), s, lc->err);
    }
    s->daily_max = cg_conf_get(lc->conf, section, "daily_max") != NULL
                       ? cg_conf_get_int(lc->conf, section, "daily_max")
                       : -1;
    if (rc == CG_OK && !s->has_token && s->client_fp[0] == '\0') {
        at = NULL; /* neither is written */
        rc = CG_ERR_SET(lc->err, CG_ECONFIG,
                        "a sender needs token_file or client_cert to be recognised");
    }
    if (rc == CG_OK && s->ncodes == 0)
        rc = CG_ERR_SET(lc->err, CG_ECONFIG, "codes: a sender declares for at least one code");
    if (rc == CG_OK && p->require_signature && s->nsign == 0) {
        at = "sign_cert";
        rc = CG_ERR_SET(lc->err, CG_ECONFIG,
                        "sign_cert: require_signature is on, so a sender "
                        "needs its signing certificate(s)");
    }
    if (rc != CG_OK) {
        cg_err_prefix(lc->err, "[%s]", section);
        cg_port_err_at(lc->conf, section, at, lc->err);
    }
    return rc;
}

/* A refusal rc of two senders that share what key holds: the line of the later one's key. */
static int same_as(const struct cg_conf *conf, const struct cg_port_sender *later, const char *key,
                   int rc, struct cg_err *err)
{
    char section[256];

    snprintf(section, sizeof(section), "sender.%s", later->name);
    cg_port_err_at(conf, section, key, err);
    return rc;
}

int cg_port_senders_load(struct cg_port *p, const struct cg_conf *conf, struct cg_err *err)
{
    struct load_ctx lc = {p, conf, err};
    size_t i;
    size_t j;

    if (cg_conf_each_named(conf, "sender", load_one, &lc) != 0)
        return err->code != CG_OK ? err->code : CG_ECONFIG;
    for (i = 0; i < p->nsenders; i++)
        for (j = 0; j < i; j++) {
            const struct cg_port_sender *a = &p->senders[i];
            const struct cg_port_sender *b = &p->senders[j];
            size_t k;
            size_t l;

            if (a->client_fp[0] != '\0' && strcmp(a->client_fp, b->client_fp) == 0)
                return same_as(conf, a, "client_cert",
                               CG_ERR_SET(err, CG_ECONFIG,
                                          "[sender.%s] and [sender.%s] have the same client_cert",
                                          b->name, a->name),
                               err);
            if (a->has_token && b->has_token && CRYPTO_memcmp(a->token_sha, b->token_sha, 32) == 0)
                return same_as(conf, a, "token_file",
                               CG_ERR_SET(err, CG_ECONFIG,
                                          "[sender.%s] and [sender.%s] have the same token",
                                          b->name, a->name),
                               err);
            /* A code is the key other senders would squat (4002 refuses an add of a business
             * key already added): it declares for one sender only. */
            for (k = 0; k < a->ncodes; k++)
                for (l = 0; l < b->ncodes; l++)
                    if (strcmp(a->codes[k], b->codes[l]) == 0)
                        return same_as(conf, a, "codes",
                                       CG_ERR_SET(err, CG_ECONFIG,
                                                  "[sender.%s] and [sender.%s] both list code %s "
                                                  "in codes: an enterprise code is one sender's, "
                                                  "the one that declares for it",
                                                  b->name, a->name, a->codes[k]),
                                       err);
            for (k = 0; k < a->nsign; k++)
                for (l = 0; l < b->nsign; l++)
                    if (strcmp(a->sign_fps[k], b->sign_fps[l]) == 0)
                        return same_as(conf, a, "sign_cert",
                                       CG_ERR_SET(err, CG_ECONFIG,
                                                  "[sender.%s] and [sender.%s] share a sign_cert "
                                                  "certificate",
                                                  b->name, a->name),
                                       err);
        }
    return CG_OK;
}

void cg_port_senders_free(struct cg_port *p)
{
    size_t i;
    size_t j;

    for (i = 0; i < p->nsenders; i++) {
        struct cg_port_sender *s = &p->senders[i];

        free(s->name);
        free(s->sign_fps);
        for (j = 0; j < s->ncodes; j++)
            free(s->codes[j]);
        free(s->codes);
        explicit_bzero(s->token_sha, sizeof(s->token_sha));
    }
    free(p->senders);
    p->senders = NULL;
    p->nsenders = 0;
}

const struct cg_port_sender *cg_port_sender_by_token(const struct cg_port *p, const char *tok,
                                                     size_t len)
{
    const struct cg_port_sender *found = NULL;
    unsigned char h[32];
    size_t i;

    token_hash(tok, len, h);
    for (i = 0; i < p->nsenders; i++)
        if (p->senders[i].has_token && CRYPTO_memcmp(h, p->senders[i].token_sha, 32) == 0)
            found = &p->senders[i];
    return found;
}

const struct cg_port_sender *cg_port_sender_by_client(const struct cg_port *p, const char *fp)
{
    size_t i;

    for (i = 0; i < p->nsenders; i++)
        if (p->senders[i].client_fp[0] != '\0' && strcmp(p->senders[i].client_fp, fp) == 0)
            return &p->senders[i];
    return NULL;
}

const struct cg_port_sender *cg_port_sender_by_signer(const struct cg_port *p, const char *fp)
{
    size_t i;
    size_t j;

    for (i = 0; i < p->nsenders; i++)
        for (j = 0; j < p->senders[i].nsign; j++)
            if (strcmp(p->senders[i].sign_fps[j], fp) == 0)
                return &p->senders[i];
    return NULL;
}

bool cg_port_sender_has_code(const struct cg_port_sender *s, const char *code)
{
    size_t i;

    for (i = 0; i < s->ncodes; i++)
        if (strcmp(s->codes[i], code) == 0)
            return true;
    return false;
}
