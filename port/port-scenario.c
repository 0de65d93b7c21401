/*
 * port-scenario.c - which receipts an accepted document gets and when, and the numbers the
 * port assigns (preNo, invtNo, sumNo) and the customs timestamps.
 *
 * Default scenario: status 2 (declaring) at once, 120 (accepted into customs) after accept_ms;
 * inventories then 800 (released) after release_ms and 899 (closed) after close_ms; a
 * cancellation (CEB605) 399 (concluded) and a return (CEB213) 800 (released) after
 * release_ms (with close_on_departure the 899 waits for the departure, port-submit.c); a summary
 * gets its CEB792 result after release_ms. A rule "FIELD=VALUE[*]:reason" that matches a head
 * field or any list line turns the 120 into reject_status (100) with the reason. All pure
 * functions: the caller stores the plan.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "port/port-int.h"

void cg_port_scenario_clear(struct cg_port_scenario *sc)
{
    size_t i;

    for (i = 0; i < sc->nrules; i++) {
        free(sc->rules[i].field);
        free(sc->rules[i].value);
        free(sc->rules[i].reason);
    }
    free(sc->rules);
    sc->rules = NULL;
    sc->nrules = 0;
}

static char *trimmed(const char *s, size_t n)
{
    char *out;

    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    out = malloc(n + 1);
    if (out != NULL) {
        memcpy(out, s, n);
        out[n] = '\0';
    }
    return out;
}

int cg_port_scenario_rules(struct cg_port_scenario *sc, const char *text, struct cg_err *err)
{
    struct cg_port_rule *rules = NULL;
    struct cg_port_rule *r;
    const char *p = text;
    const char *end;
    const char *eq;
    const char *colon;
    size_t n = 0;
    size_t len;
    int rc = CG_OK;
    int no = 0;

    cg_port_scenario_clear(sc);
    while (p != NULL && *p != '\0') {
        end = strchr(p, '|');
        len = end != NULL ? (size_t)(end - p) : strlen(p);
        no++;
        eq = memchr(p, '=', len);
        colon = eq != NULL ? memchr(eq, ':', len - (size_t)(eq - p)) : NULL;
        if (eq == NULL || colon == NULL || eq == p || colon == eq + 1 || colon + 1 == p + len) {
            rc = CG_ERR_SET(err, CG_ECONFIG,
                            "reject_rules: rule %d '%.*s' is not FIELD=VALUE:reason", no, (int)len,
                            p);
            goto done;
        }
        r = realloc(rules, (n + 1) * sizeof(*rules));
        if (r == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        rules = r;
        r = &rules[n++];
        memset(r, 0, sizeof(*r));
        r->field = trimmed(p, (size_t)(eq - p));
        r->value = trimmed(eq + 1, (size_t)(colon - eq - 1));
        r->reason = trimmed(colon + 1, len - (size_t)(colon + 1 - p));
        if (r->field == NULL || r->value == NULL || r->reason == NULL) {
            rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
            goto done;
        }
        len = strlen(r->value);
        if (len > 0 && r->value[len - 1] == '*') {
            r->prefix = true;
            r->value[len - 1] = '\0';
        }
        if (r->field[0] == '\0' || (r->value[0] == '\0' && !r->prefix)) {
            rc = CG_ERR_SET(err, CG_ECONFIG, "reject_rules: rule %d has an empty field or value",
                            no);
            goto done;
        }
        p = end != NULL ? end + 1 : NULL;
    }
done:
    sc->rules = rules;
    sc->nrules = n;
    if (rc != CG_OK)
        cg_port_scenario_clear(sc);
    return rc;
}

static bool rule_hits(const struct cg_port_rule *r, const json_t *obj)
{
    const char *v = json_string_value(json_object_get(obj, r->field));

    if (v == NULL)
        return false;
    if (r->prefix)
        return strncmp(v, r->value, strlen(r->value)) == 0;
    return strcmp(v, r->value) == 0;
}

const struct cg_port_rule *cg_port_scenario_match(const struct cg_port_scenario *sc,
                                                  const json_t *ent)
{
    const json_t *it;
    size_t i;
    size_t j;

    for (i = 0; i < sc->nrules; i++) {
        if (rule_hits(&sc->rules[i], ent))
            return &sc->rules[i];
        json_array_foreach(json_object_get(ent, "items"), j,
                           it) if (rule_hits(&sc->rules[i], it)) return &sc->rules[i];
    }
    return NULL;
}

static struct cg_port_step *step(struct cg_port_step *s, int64_t after, int type, int status)
{
    s->after_ms = after;
    s->receipt_type = type;
    s->status = status;
    s->info[0] = '\0';
    return s;
}

size_t cg_port_scenario_plan(const struct cg_port_scenario *sc, const struct cg_port_kind *k,
                             const json_t *ent, struct cg_port_step steps[CG_PORT_MAX_STEPS])
{
    const struct cg_port_rule *rule = cg_port_scenario_match(sc, ent);
    const char *guid = cg_port_field(ent, "guid");
    const char *app = cg_port_field(ent, "appType");
    const char *what = strcmp(app, "2") == 0   ? "变更申报成功"
                       : strcmp(app, "3") == 0 ? "删除申报成功"
                                               : "新增申报成功";
    struct cg_port_step *s;
    size_t n = 0;

    s = step(&steps[n++], 0, k->ret_type, 2);
    snprintf(s->info, sizeof(s->info), "%s[%s]", what, guid);
    s = step(&steps[n++], sc->accept_ms, k->ret_type, rule != NULL ? sc->reject_status : 120);
    if (rule != NULL) {
        snprintf(s->info, sizeof(s->info), "%s[%s]", rule->reason, guid);
        return n;
    }
    snprintf(s->info, sizeof(s->info), "海关入库 accepted by customs[%s]", guid);
    if (k->req_type == 603) {
        s = step(&steps[n++], sc->release_ms, k->ret_type, 800);
        snprintf(s->info, sizeof(s->info), "放行 released[%s]", guid);
        if (!sc->close_on_departure) {
            s = step(&steps[n++], sc->close_ms, k->ret_type, 899);
            snprintf(s->info, sizeof(s->info), "结关 closed[%s]", guid);
        }
    } else if (k->req_type == 213) {
        s = step(&steps[n++], sc->release_ms, k->ret_type, 800);
        snprintf(s->info, sizeof(s->info), "退货放行 return released[%s]", guid);
    } else if (k->req_type == 605) {
        s = step(&steps[n++], sc->release_ms, k->ret_type, 399);
        snprintf(s->info, sizeof(s->info), "撤销审结 cancellation concluded[%s]", guid);
    } else if (k->req_type == 701) {
        s = step(&steps[n++], sc->release_ms, 792, 0);
        snprintf(s->info, sizeof(s->info), "summary result[%s]", guid);
    }
    return n;
}

/* ------------------------------------------------------------------ numbers and times */

static bool digits(const char *s, size_t n)
{
    size_t i;

    if (strlen(s) != n)
        return false;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int cg_port_pre_no(const char *day8, long serial, char out[19])
{
    return cg_port_seq_no('B', day8, serial, out);
}

int cg_port_seq_no(char letter, const char *day8, long serial, char out[19])
{
    if (!digits(day8, 8) || serial < 1 || serial > 999999999L)
        return CG_ERANGE;
    snprintf(out, 19, "%c%s%09ld", letter, day8, serial);
    return CG_OK;
}

int cg_port_invt_no(const char *customs4, const char *year4, long serial, char out[19])
{
    if (!digits(customs4, 4) || !digits(year4, 4) || serial < 1 || serial > 999999999L)
        return CG_ERANGE;
    snprintf(out, 19, "%s%sE%09ld", customs4, year4, serial);
    return CG_OK;
}

static void china_tm(int64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000) + 8 * 3600;

    gmtime_r(&t, tm);
}

void cg_port_time17(int64_t ms, char out[18])
{
    struct tm tm;
    int n;

    china_tm(ms, &tm);
    n = snprintf(out, 18, "%04d%02d%02d%02d%02d%02d%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    if (n != 17)
        out[0] = '\0';
}

void cg_port_day8(int64_t ms, char out[9])
{
    struct tm tm;
    int n;

    china_tm(ms, &tm);
    n = snprintf(out, 9, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (n != 8)
        out[0] = '\0';
}

int64_t cg_port_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
