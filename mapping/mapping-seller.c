/*
 * mapping-seller.c - the seller profile from [seller] / [seller.NAME].
 *
 * Values are copied out of the configuration into a struct cg_seller the caller frees. Every
 * value that is set is checked against the CEB field it feeds (codes up to 18 characters,
 * names up to 100, customs office and exit port 4 digits, ...); a bad value fails the load
 * with CG_ECONFIG naming the section, key and customs field. Unset strings are "" (the
 * signing keys, catalogue and shipments paths stay NULL), so declare/ decides which ones a
 * message needs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping/mapping-int.h"

void cg_seller_free(struct cg_seller *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->ebp_code);
    free(s->ebp_name);
    free(s->ebc_code);
    free(s->ebc_name);
    free(s->agent_code);
    free(s->agent_name);
    free(s->owner_code);
    free(s->owner_name);
    free(s->customs_code);
    free(s->port_code);
    free(s->traf_mode);
    free(s->wrap_type);
    free(s->trade_mode);
    free(s->statistics_flag);
    free(s->currency);
    free(s->profile);
    free(s->catalog);
    free(s->shipments);
    free(s->key_file);
    free(s->cert_file);
    free(s->key_pass_file);
    free(s->key_pass_env);
    free(s->key_name);
    free(s->country);
    free(s->pod);
    free(s->pod_by_country);
    free(s->iac_code);
    free(s->iac_name);
    free(s->ems_no);
    free(s->payments);
    free(s->pay_code);
    free(s->pay_name);
    free(s);
}

struct rule {
    const char *key;
    size_t off;
    size_t max; /* characters; 0: no limit */
    int digits; /* exact number of digits, 0: any text */
    const char *what;
};

#define OFF(f) offsetof(struct cg_seller, f)

static const struct rule rules[] = {
    {"ebp_code", OFF(ebp_code), 18, 0, "the e-commerce platform code (ebpCode)"},
    {"ebp_name", OFF(ebp_name), 100, 0, "the e-commerce platform name (ebpName)"},
    {"ebc_code", OFF(ebc_code), 18, 0, "the e-commerce enterprise code (ebcCode)"},
    {"ebc_name", OFF(ebc_name), 100, 0, "the e-commerce enterprise name (ebcName)"},
    {"agent_code", OFF(agent_code), 18, 0, "the declaring agent code (agentCode)"},
    {"agent_name", OFF(agent_name), 100, 0, "the declaring agent name (agentName)"},
    {"owner_code", OFF(owner_code), 18, 0, "the producer or seller code (ownerCode)"},
    {"owner_name", OFF(owner_name), 100, 0, "the producer or seller name (ownerName)"},
    {"customs_code", OFF(customs_code), 4, 4, "the declaring customs office (customsCode)"},
    {"port_code", OFF(port_code), 4, 4, "the exit port (portCode)"},
    {"traf_mode", OFF(traf_mode), 1, 0, "the transport mode (trafMode)"},
    {"wrap_type", OFF(wrap_type), 1, 0, "the package kind (wrapType)"},
    {"trade_mode", OFF(trade_mode), 4, 4, "the trade mode (tradeMode)"},
    {"statistics_flag", OFF(statistics_flag), 1, 0, "the statistics flag (statisticsFlag)"},
    {"currency", OFF(currency), 3, 0, "the default currency (ISO 4217 letters)"},
    {"country", OFF(country), 2, 0, "the default destination (ISO 3166 alpha-2)"},
    {"pod", OFF(pod), 4, 0, "the default destination port (POD, 3-4 characters)"},
    {"pod_by_country", OFF(pod_by_country), 0, 0, "the destination port by country"},
    {"profile", OFF(profile), 0, 0, "the order file layout"},
    {"key_pass_env", OFF(key_pass_env), 0, 0, "the passphrase variable"},
    {"key_name", OFF(key_name), 0, 0, "the certificate number (ds:KeyName)"},
    {"iac_code", OFF(iac_code), 18, 0, "the special-area warehouse enterprise code (iacCode)"},
    {"iac_name", OFF(iac_name), 100, 0, "the special-area warehouse enterprise name (iacName)"},
    {"ems_no", OFF(ems_no), 30, 0, "the special-area record book number (emsNo)"},
    {"payments", OFF(payments), 0, 0, "where payment records come from"},
    {"pay_code", OFF(pay_code), 18, 0, "the payment company code of collections (payCode)"},
    {"pay_name", OFF(pay_name), 100, 0, "the payment company name of collections (payName)"},
};

static const struct {
    const char *key;
    size_t off;
} paths[] = {
    {"catalog", OFF(catalog)},
    {"shipments", OFF(shipments)},
    {"key_file", OFF(key_file)},
    {"cert_file", OFF(cert_file)},
    {"key_pass_file", OFF(key_pass_file)},
};

static bool ends_with_ini(const char *v)
{
    size_t n = strlen(v);

    return n > 4 && strcmp(v + n - 4, ".ini") == 0;
}

int cg_seller_load(const struct cg_conf *conf, const char *name, struct cg_seller **out,
                   struct cg_err *err)
{
    struct cg_seller *s = calloc(1, sizeof(*s));
    char section[160];
    size_t i;
    int rc = CG_OK;

    if (s == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    if (name == NULL)
        name = "";
    if (*name != '\0') {
        snprintf(section, sizeof(section), "seller.%s", name);
        if (!cg_conf_has_section(conf, section)) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "no section [%s] in the configuration", section);
            goto done;
        }
    } else {
        snprintf(section, sizeof(section), "seller");
    }
    s->name = strdup(name);
    if (s->name == NULL)
        goto nomem;
    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        const char *v = cg_conf_get(conf, section, r->key);
        char **dst = (char **)((char *)s + r->off);
        size_t n;

        /* key_pass_env and key_name may be NULL: the header promises that. */
        if (v == NULL && (strcmp(r->key, "key_pass_env") == 0 || strcmp(r->key, "key_name") == 0))
            continue;
        *dst = strdup(v != NULL ? v : "");
        if (*dst == NULL)
            goto nomem;
        if (v == NULL || *v == '\0')
            continue;
        n = cg_utf8_len(v);
        if (r->digits > 0 && !cg_is_digits(v, (size_t)r->digits)) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "[%s] %s: '%s' must be %d digits: it is %s", section,
                            r->key, v, r->digits, r->what);
            goto done;
        }
        if (r->max > 0 && n > r->max) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "[%s] %s: '%s' is %zu characters; %s allows at most %zu", section,
                            r->key, v, n, r->what, r->max);
            goto done;
        }
    }
    if (*s->currency != '\0' && strlen(s->currency) != 3) {
        rc = CG_ERR_SET(err, CG_ECONFIG, "[%s] currency: '%s' is not ISO 4217 letters", section,
                        s->currency);
        goto done;
    }
    if (*s->pod != '\0' && cg_utf8_len(s->pod) < 3) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[%s] pod: '%s' is too short: the destination port (POD) is 3-4 "
                        "characters",
                        section, s->pod);
        goto done;
    }
    /* Spec 202205 CEB603: iacCode, iacName and emsNo are required for special-area exports. */
    if (strcmp(s->trade_mode, "1210") == 0 &&
        (*s->iac_code == '\0' || *s->iac_name == '\0' || *s->ems_no == '\0')) {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[%s] trade_mode = 1210 (special-area export) needs iac_code, iac_name "
                        "and ems_no: the CEB603 of a special-area export must carry iacCode, "
                        "iacName and emsNo (missing:%s%s%s)",
                        section, *s->iac_code == '\0' ? " iac_code" : "",
                        *s->iac_name == '\0' ? " iac_name" : "",
                        *s->ems_no == '\0' ? " ems_no" : "");
        goto done;
    }
    /* Spec 202205 CEB403: payName is required; a collection carries no payment company. */
    if (strcmp(s->payments, "collections") == 0 && *s->pay_name == '\0') {
        rc = CG_ERR_SET(err, CG_ECONFIG,
                        "[%s] payments = collections needs pay_name: the CEB403 declared from "
                        "matched collections must carry payName, the bank or payment company "
                        "that received the money",
                        section);
        goto done;
    }
    if (*s->pod_by_country != '\0') {
        char why[256];

        if (!cg_pod_table_ok(s->pod_by_country, why, sizeof(why))) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "[%s] pod_by_country: %s", section, why);
            goto done;
        }
    }
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char **dst = (char **)((char *)s + paths[i].off);

        *dst = cg_conf_get_path(conf, section, paths[i].key);
    }
    /* A profile given as a file (not a built-in name) is relative to the configuration. */
    if (s->profile != NULL && (strchr(s->profile, '/') != NULL || ends_with_ini(s->profile))) {
        char *p = cg_conf_get_path(conf, section, "profile");
        if (p == NULL)
            goto nomem;
        free(s->profile);
        s->profile = p;
    }
    goto done;
nomem:
    rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
done:
    if (rc != CG_OK) {
        cg_seller_free(s);
        return rc;
    }
    *out = s;
    return CG_OK;
}
