/*
 * mapping-status.c - order status: which orders of a shop export are declared, which wait and
 * which are skipped; and the destination port table of a seller.
 *
 * A profile's [status] section names status columns and maps each column's values to an
 * outcome (live, wait, skip, cancelled, shipped, drop). Every row of an order is looked at;
 * the order's status is decided when it is finished: cancelled wins, then shipped (the goods
 * left, so a refund after shipping keeps the declaration), then skip, then wait, else live.
 * A row whose value says drop adds no order line; an order left without lines that way is
 * skipped. A value no rule matches (and no "*" rule) rejects the order: an unknown status is
 * never declared by guess. The rules belong to the profile (cg_status_free); nothing here
 * fails other than by returning false with the reason.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fsutil.h"
#include "mapping/mapping-int.h"

static const char *const outcome_names[CG_ST_N] = {
    [CG_ST_LIVE] = "live",           [CG_ST_WAIT] = "wait",       [CG_ST_SKIP] = "skip",
    [CG_ST_CANCELLED] = "cancelled", [CG_ST_SHIPPED] = "shipped", [CG_ST_DROP] = "drop",
};

const char *cg_order_status_name(int status)
{
    switch (status) {
    case CG_ORDER_LIVE: return "live";
    case CG_ORDER_WAIT: return "waiting";
    case CG_ORDER_SKIP: return "skipped";
    case CG_ORDER_CANCELLED: return "cancelled";
    default: return "?";
    }
}

static void col_clear(struct cg_status_col *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->rules[i].value);
    free(c->rules);
    free(c->column);
    memset(c, 0, sizeof(*c));
}

void cg_status_free(struct cg_profile *p)
{
    size_t i;

    for (i = 0; i < p->nstatus; i++)
        col_clear(&p->status[i]);
    free(p->status);
    p->status = NULL;
    p->nstatus = 0;
}

const struct cg_status_col *cg_status_find(const struct cg_profile *p, const char *column)
{
    size_t i;

    for (i = 0; i < p->nstatus; i++) {
        if (strcmp(p->status[i].column, column) == 0)
            return &p->status[i];
    }
    return NULL;
}

/* Copy s[0..n) trimmed of blanks into a new string. */
static char *trimmed(const char *s, size_t n)
{
    char *t;

    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    t = malloc(n + 1);
    if (t != NULL) {
        memcpy(t, s, n);
        t[n] = '\0';
    }
    return t;
}

/* Parse "value=outcome, ..." into c (empty on entry). */
static bool parse_rules(struct cg_status_col *c, const char *text, char *why, size_t whysz)
{
    const char *p = text;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        char *item = trimmed(p, n);
        char *eq, *val = NULL, *out = NULL;
        struct cg_status_rule *g;
        int k, found = -1;

        if (item == NULL) {
            snprintf(why, whysz, "out of memory");
            return false;
        }
        eq = strchr(item, '=');
        if (eq != NULL) {
            val = trimmed(item, (size_t)(eq - item));
            out = trimmed(eq + 1, strlen(eq + 1));
        }
        for (k = 0; out != NULL && k < CG_ST_N; k++) {
            if (strcasecmp(out, outcome_names[k]) == 0)
                found = k;
        }
        if (val == NULL || out == NULL || *val == '\0' || found < 0) {
            snprintf(why, whysz,
                     "'%s' is not VALUE=OUTCOME (outcomes: live, wait, skip, cancelled, shipped, "
                     "drop)",
                     item);
            free(item);
            free(val);
            free(out);
            return false;
        }
        free(item);
        free(out);
        g = realloc(c->rules, (c->n + 1) * sizeof(*g));
        if (g == NULL) {
            free(val);
            snprintf(why, whysz, "out of memory");
            return false;
        }
        c->rules = g;
        c->rules[c->n].value = val;
        c->rules[c->n].outcome = found;
        c->n++;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

bool cg_status_set(struct cg_profile *p, const char *column, const char *rules, bool append,
                   char *why, size_t whysz)
{
    struct cg_status_col c;
    size_t i;

    memset(&c, 0, sizeof(c));
    for (i = 0; i < p->nstatus; i++) {
        if (strcmp(p->status[i].column, column) == 0)
            break;
    }
    if (append && i < p->nstatus)
        return parse_rules(&p->status[i], rules, why, whysz);
    if (*rules == '\0') {
        /* Removes a column a base profile named. */
        if (i < p->nstatus) {
            col_clear(&p->status[i]);
            p->status[i] = p->status[--p->nstatus];
        }
        return true;
    }
    c.column = strdup(column);
    if (c.column == NULL) {
        snprintf(why, whysz, "out of memory");
        return false;
    }
    if (!parse_rules(&c, rules, why, whysz)) {
        col_clear(&c);
        return false;
    }
    if (i < p->nstatus) {
        col_clear(&p->status[i]);
        p->status[i] = c;
        return true;
    }
    {
        struct cg_status_col *g = realloc(p->status, (p->nstatus + 1) * sizeof(*g));

        if (g == NULL) {
            col_clear(&c);
            snprintf(why, whysz, "out of memory");
            return false;
        }
        p->status = g;
        p->status[p->nstatus++] = c;
    }
    return true;
}

bool cg_ob_status(struct cg_ob *b, const char *column, const char *value, long line)
{
    const struct cg_status_col *c = cg_status_find(b->m->profile, column);
    char list[256];
    size_t i, l = 0;

    if (c == NULL || value == NULL || *value == '\0')
        return false;
    for (i = 0; i < c->n; i++) {
        const struct cg_status_rule *r = &c->rules[i];

        if (strcmp(r->value, "*") == 0 || strcasecmp(r->value, value) == 0) {
            if (!b->st_seen[r->outcome]) {
                b->st_seen[r->outcome] = true;
                /* A column whose only rule is "*" (a date such as Cancelled at) is named with
                 * "set": its values differ from order to order and say nothing more. */
                if (c->n == 1 && strcmp(r->value, "*") == 0)
                    snprintf(b->st_why[r->outcome], sizeof(b->st_why[0]), "%s set", column);
                else
                    snprintf(b->st_why[r->outcome], sizeof(b->st_why[0]), "%s '%s'", column, value);
            }
            return r->outcome == CG_ST_DROP;
        }
    }
    list[0] = '\0';
    for (i = 0; i < c->n && l + 1 < sizeof(list); i++)
        l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s", i > 0 ? ", " : "",
                              c->rules[i].value);
    cg_ob_fail(b, line, column,
               "'%s' is not a status the profile knows (%s); an order of unknown status is "
               "never declared",
               value, list);
    return false;
}

/*
 * Every item of the order was left out by a drop rule: nothing is left to declare. An order with
 * a kept row that failed (an unknown SKU) is not one of them: it is rejected for that row, and a
 * dropped item beside it must not hide the rejection.
 */
static bool all_dropped(const struct cg_ob *b)
{
    return b->st_seen[CG_ST_DROP] && !b->failed && b->o != NULL && b->o->nlines == 0;
}

int cg_ob_status_of(const struct cg_ob *b, char *reason, size_t size)
{
    static const struct {
        int st;
        int status;
    } order[] = {
        {CG_ST_CANCELLED, CG_ORDER_CANCELLED},
        {CG_ST_SHIPPED, CG_ORDER_LIVE},
        {CG_ST_SKIP, CG_ORDER_SKIP},
        {CG_ST_WAIT, CG_ORDER_WAIT},
    };
    size_t i;

    reason[0] = '\0';
    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        /* Shipped declares the goods that left; with every item dropped none did. */
        if (order[i].st == CG_ST_SHIPPED && b->st_seen[CG_ST_SHIPPED] && all_dropped(b))
            break;
        if (b->st_seen[order[i].st]) {
            if (order[i].status != CG_ORDER_LIVE)
                snprintf(reason, size, "%s", b->st_why[order[i].st]);
            return order[i].status;
        }
    }
    if (all_dropped(b)) {
        snprintf(reason, size, "every item dropped (%s)", b->st_why[CG_ST_DROP]);
        return CG_ORDER_SKIP;
    }
    return CG_ORDER_LIVE;
}

/* ------------------------------------------------------------------ destination ports */

/*
 * Walk "CC=PORT, ...": with want, true when its port was found (copied to out); without, true
 * when every entry is well formed. false with why on a malformed entry.
 */
static bool pod_walk(const char *table, const char *want, char *out, size_t size, char *why,
                     size_t whysz)
{
    const char *p = table;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        char *item = trimmed(p, n);
        char *eq;
        char *cc = NULL, *port = NULL;
        bool ok;

        if (item == NULL) {
            snprintf(why, whysz, "out of memory");
            return false;
        }
        eq = strchr(item, '=');
        if (eq != NULL) {
            cc = trimmed(item, (size_t)(eq - item));
            port = trimmed(eq + 1, strlen(eq + 1));
        }
        ok = cc != NULL && port != NULL && strlen(cc) == 2 && isalpha((unsigned char)cc[0]) &&
             isalpha((unsigned char)cc[1]) && strlen(port) >= 3 && strlen(port) <= 4 &&
             strcspn(port, " \t") == strlen(port);
        if (!ok) {
            snprintf(why, whysz,
                     "'%s' is not COUNTRY=PORT (ISO 3166 alpha-2 = destination port of 3-4 "
                     "characters)",
                     item);
        } else if (want != NULL && strcasecmp(cc, want) == 0) {
            cg_strlcpy(out, port, size);
            free(item);
            free(cc);
            free(port);
            return true;
        }
        free(item);
        free(cc);
        free(port);
        if (!ok)
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    return want == NULL;
}

bool cg_pod_table_ok(const char *table, char *why, size_t whysz)
{
    return pod_walk(table, NULL, NULL, 0, why, whysz);
}

bool cg_pod_lookup(const char *table, const char *iso2, char *out, size_t size)
{
    char why[256];

    if (table == NULL || iso2 == NULL || *iso2 == '\0')
        return false;
    return pod_walk(table, iso2, out, size, why, sizeof(why));
}
