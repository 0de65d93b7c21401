/*
 * settle-camt.c - ISO 20022 camt.053 (statement) and camt.054 (notification) to entries.
 *
 * The document is parsed with cg_xml_parse (declare/): no network, no DTD, no entity
 * substitution, a DOCTYPE refused. Only booked entries (Sts BOOK) are taken. Each Ntry becomes
 * one entry: Amt with its Ccy (the currency's decimals checked), CRDT in / DBIT out, BookgDt
 * and ValDt, the account of its statement (Acct/Id, required: a file may hold one statement
 * per account) and the bank's reference (AcctSvcrRef, else NtryRef) as its identity, the
 * end-to-end ids and unstructured remittance text as references for matching, charges as the
 * fee. A batch-booked Ntry with several TxDtls keeps each transaction as a line. A statement
 * giving its opening (OPBD, else PRCD) and closing (CLBD) balances must add up. Every bad
 * entry is reported through the problem callback with its line; the caller imports nothing
 * when there is one. Parsed strings belong to the struct fx_parsed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "core/text.h"
#include "declare/declare.h"
#include "settle/settle-int.h"

#define CAMT_NS "urn:iso:std:iso:20022:tech:xsd:camt."

static void lines_free(struct fx_line *l, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        free(l[k].order_ref);
        free(l[k].pay_ref);
    }
    free(l);
}

void fx_entry_free(struct fx_entry *e)
{
    lines_free(e->lines, e->nlines);
    lines_free(e->refunds, e->nrefunds);
    free(e->key);
    free(e->key_old);
    free(e->content);
    free(e->account);
    free(e->account_old);
    free(e->reference);
    free(e->keyed_ref);
    free(e->narrative);
    free(e->remitter);
}

void fx_parsed_free(struct fx_parsed *p)
{
    size_t i;

    for (i = 0; i < p->n; i++)
        fx_entry_free(&p->e[i]);
    free(p->e);
    free(p->stmt_id);
    free(p->account);
    p->e = NULL;
    p->n = p->cap = 0;
    fx_parsed_keys_changed(p);
}

void fx_parsed_keys_changed(struct fx_parsed *p)
{
    free(p->kbucket);
    free(p->knext);
    p->kbucket = p->knext = NULL;
    p->nkbucket = p->nknext = p->kindexed = 0;
}

/* FNV-1a of a key. */
static size_t key_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/*
 * Put the entries added since the last look-up into the chains, in the order added, up to the
 * first whose key is not set yet. Out of memory, the rest stay out of the chains, and
 * fx_parsed_find looks at them one by one: the same answer, only slower.
 */
static void keys_catch_up(struct fx_parsed *p)
{
    while (p->kindexed < p->n && p->e[p->kindexed].key != NULL) {
        size_t i = p->kindexed, h, j;
        if (p->nknext <= i) {
            size_t *nx = realloc(p->knext, p->cap * sizeof(*nx));
            if (nx == NULL)
                return;
            p->knext = nx;
            p->nknext = p->cap;
        }
        if ((i + 1) * 2 > p->nkbucket) { /* at most half full: chains of one or two */
            size_t nb = p->nkbucket ? p->nkbucket * 4 : 256;
            size_t *b = malloc(nb * sizeof(*b));
            if (b == NULL)
                return;
            for (j = 0; j < nb; j++)
                b[j] = SIZE_MAX;
            free(p->kbucket);
            p->kbucket = b;
            p->nkbucket = nb;
            for (j = 0; j < i; j++) {
                h = key_hash(p->e[j].key) & (nb - 1);
                p->knext[j] = b[h];
                b[h] = j;
            }
        }
        h = key_hash(p->e[i].key) & (p->nkbucket - 1);
        p->knext[i] = p->kbucket[h];
        p->kbucket[h] = i;
        p->kindexed++;
    }
}

struct fx_entry *fx_parsed_find(struct fx_parsed *p, const char *key,
                                int (*same)(const struct fx_entry *, const void *), const void *ctx)
{
    size_t i, found = SIZE_MAX;

    keys_catch_up(p);
    /* A chain runs from the entry added last: the first added is the last found. */
    if (p->nkbucket > 0) {
        for (i = p->kbucket[key_hash(key) & (p->nkbucket - 1)]; i != SIZE_MAX; i = p->knext[i]) {
            if (strcmp(p->e[i].key, key) == 0 && (same == NULL || same(&p->e[i], ctx)))
                found = i;
        }
    }
    if (found != SIZE_MAX)
        return &p->e[found];
    for (i = p->kindexed; i < p->n; i++) {
        if (p->e[i].key != NULL && strcmp(p->e[i].key, key) == 0 &&
            (same == NULL || same(&p->e[i], ctx)))
            return &p->e[i];
    }
    return NULL;
}

struct fx_entry *fx_parsed_add(struct fx_parsed *p)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct fx_entry *e = realloc(p->e, cap * sizeof(*e));
        if (e == NULL)
            return NULL;
        p->e = e;
        p->cap = cap;
    }
    memset(&p->e[p->n], 0, sizeof(p->e[0]));
    return &p->e[p->n++];
}

void fx_problem(struct fx_parsed *p, long line, const char *ref, const char *field, const char *fmt,
                ...)
{
    char reason[512];
    char text[1024];
    char shown[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(text, sizeof(text), "%s:%ld: entry %s: %s%s%s", p->name, line,
             ref != NULL && ref[0] ? ref : "-", field != NULL ? "field " : "",
             field != NULL ? field : "", field != NULL ? ": " : "");
    cg_strlcpy(text + strlen(text), reason, sizeof(text) - strlen(text));
    p->problems++;
    /* The reference and the reason quote the file's bytes: shown with controls, escape
     * sequences and bytes that are not UTF-8 escaped, as one line. */
    if (p->problem != NULL)
        p->problem(p->pctx, cg_text_show(text, shown, sizeof(shown)));
}

/* First child element with this local name (any namespace: camt versions differ only there). */
static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    xmlNodePtr c;

    if (n == NULL)
        return NULL;
    for (c = n->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    }
    return NULL;
}

static xmlNodePtr path(xmlNodePtr n, const char *p1, const char *p2, const char *p3)
{
    n = child(n, p1);
    if (p2 != NULL)
        n = child(n, p2);
    if (p3 != NULL)
        n = child(n, p3);
    return n;
}

/* Trimmed text content (caller frees); NULL when the node is missing or empty. */
static char *text(xmlNodePtr n)
{
    xmlChar *t;
    char *s;
    size_t a, b;

    if (n == NULL)
        return NULL;
    t = xmlNodeGetContent(n);
    if (t == NULL)
        return NULL;
    a = 0;
    b = strlen((const char *)t);
    while (a < b && strchr(" \t\r\n", t[a]) != NULL)
        a++;
    while (b > a && strchr(" \t\r\n", t[b - 1]) != NULL)
        b--;
    s = b > a ? strndup((const char *)t + a, b - a) : NULL;
    xmlFree(t);
    return s;
}

/* A date element: <Dt>YYYY-MM-DD</Dt> or <DtTm>YYYY-MM-DDThh:mm:ss</DtTm>. */
static int day_of(xmlNodePtr n, char out[CG_DAY_LEN])
{
    char *t = text(child(n, "Dt"));
    long d;
    int rc;

    if (t == NULL)
        t = text(child(n, "DtTm"));
    if (t == NULL || strlen(t) < 10) {
        free(t);
        return CG_EINVAL;
    }
    t[10] = '\0';
    rc = fx_day_parse(t, &d);
    if (rc == CG_OK)
        cg_strlcpy(out, t, CG_DAY_LEN);
    free(t);
    return rc;
}

/* Why a date element is refused, for the entry's problem: missing, or its text that is no day. */
static void day_problem(struct fx_parsed *p, xmlNodePtr n, long line, const char *ref,
                        const char *field)
{
    char *t = text(child(n, "Dt"));
    char shown[64];

    if (t == NULL)
        t = text(child(n, "DtTm"));
    if (t == NULL)
        fx_problem(p, line, ref, field, "missing: a day (YYYY-MM-DD) is required");
    else
        fx_problem(p, line, ref, field, "'%s' is not a day (YYYY-MM-DD)",
                   cg_text_show(t, shown, sizeof(shown)));
    free(t);
}

/* Amount of an <Amt Ccy="..."> element in minor units; reports the problem and fails. */
static int amount_of(struct fx_parsed *p, xmlNodePtr amt, const char *ref, const char *field,
                     char cur[4], int64_t *minor)
{
    xmlChar *ccy;
    char *t;
    struct cg_err e;
    long line = amt != NULL ? xmlGetLineNo(amt) : 0;
    int rc;

    if (amt == NULL) {
        fx_problem(p, line, ref, field, "missing");
        return CG_EREJECT;
    }
    ccy = xmlGetProp(amt, (const xmlChar *)"Ccy");
    t = text(amt);
    if (ccy == NULL || strlen((const char *)ccy) != 3) {
        fx_problem(p, line, ref, field, "no Ccy attribute with ISO 4217 letters");
        rc = CG_EREJECT;
    } else if (t == NULL) {
        fx_problem(p, line, ref, field, "empty amount");
        rc = CG_EREJECT;
    } else if ((rc = fx_amount_parse(t, (const char *)ccy, minor, &e)) != CG_OK) {
        fx_problem(p, line, ref, field, "%s", e.msg);
    } else if (*minor <= 0) {
        fx_problem(p, line, ref, field, "amount %s is not positive", t);
        rc = CG_EREJECT;
    } else if (cur[0] != '\0' && strcmp(cur, (const char *)ccy) != 0) {
        fx_problem(p, line, ref, field, "currency %s differs from the entry's %s",
                   (const char *)ccy, cur);
        rc = CG_EREJECT;
    } else {
        cg_strlcpy(cur, (const char *)ccy, 4);
    }
    xmlFree(ccy);
    free(t);
    return rc;
}

static int add_ref(struct cg_buf *b, const char *s)
{
    if (s == NULL || strcmp(s, "NOTPROVIDED") == 0)
        return CG_OK;
    if (b->len > 0 && cg_buf_addc(b, ' ') != CG_OK)
        return CG_ENOMEM;
    return cg_buf_adds(b, s);
}

/* The trimmed text of element n (none: nothing) after what b holds, a space between. */
static int add_text_of(struct cg_buf *b, xmlNodePtr n)
{
    char *t = text(n);
    int rc = add_ref(b, t);

    free(t);
    return rc;
}

/* Debtor name in camt.053.001.02 (RltdPties/Dbtr/Nm) and later (RltdPties/Dbtr/Pty/Nm). */
static char *debtor(xmlNodePtr tx)
{
    xmlNodePtr d = path(tx, "RltdPties", "Dbtr", NULL);
    char *n = text(child(d, "Nm"));

    return n != NULL ? n : text(path(d, "Pty", "Nm", NULL));
}

static int ustrd(xmlNodePtr tx, struct cg_buf *b)
{
    xmlNodePtr r = child(tx, "RmtInf");
    xmlNodePtr c;
    int rc = CG_OK;

    for (c = r != NULL ? r->children : NULL; c != NULL && rc == CG_OK; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "Ustrd") == 0) {
            char *t = text(c);
            rc = add_ref(b, t);
            free(t);
        }
    }
    return rc;
}

/* Two accounts, either possibly NULL (a statement without one), are the same. */
static int same_account(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* fx_parsed_find: whether entry e is of the account ctx. */
static int of_account(const struct fx_entry *e, const void *ctx)
{
    return same_account(e->account, ctx);
}

/*
 * Whether entry n is coded as the bank's own charge: the sub-family of its bank transaction
 * code (BkTxCd/Domn/Fmly/SubFmlyCd, of the entry, else of its first transaction) is CHRG
 * (charges), FEES or COMM (commission), as an account's monthly fee (ACMT/MDOP/CHRG) is.
 */
static int coded_charge(xmlNodePtr n)
{
    xmlNodePtr c = path(child(n, "BkTxCd"), "Domn", "Fmly", "SubFmlyCd");
    char *code;
    int yes;

    if (c == NULL)
        c = path(child(path(n, "NtryDtls", "TxDtls", NULL), "BkTxCd"), "Domn", "Fmly", "SubFmlyCd");
    code = text(c);
    yes = code != NULL &&
          (strcmp(code, "CHRG") == 0 || strcmp(code, "FEES") == 0 || strcmp(code, "COMM") == 0);
    free(code);
    return yes;
}

/*
 * Entry n of the statement of account (NULL: the statement names none, a problem already);
 * account_old as a cebgate from before took it, when it differs (else NULL).
 */
static int entry(struct fx_parsed *p, xmlNodePtr n, const char *account, const char *account_old)
{
    struct fx_entry *e, *dup;
    char *ref = text(child(n, "AcctSvcrRef"));
    char *sts = text(child(n, "Sts"));
    char *ind = text(child(n, "CdtDbtInd"));
    char *tmp;
    xmlNodePtr dt, tx;
    struct cg_buf refs, words;
    size_t ntx = 0;
    long line = xmlGetLineNo(n);
    int bad = 0;
    int rc = CG_OK;
    size_t i;

    cg_buf_init(&refs, 1u << 16);
    cg_buf_init(&words, 1u << 16);
    if (ref == NULL)
        ref = text(child(n, "NtryRef"));
    if (ref == NULL) {
        tx = path(n, "NtryDtls", "TxDtls", NULL);
        ref = text(path(tx, "Refs", "AcctSvcrRef", NULL));
    }
    /* camt.053.001.02 writes <Sts>BOOK</Sts>, later versions <Sts><Cd>BOOK</Cd></Sts>. */
    if (sts != NULL && strcmp(sts, "BOOK") != 0)
        goto done; /* pending or information only: not money on the account yet */
    if (ref == NULL) {
        fx_problem(p, line, NULL, "AcctSvcrRef", "the entry has no bank reference");
        goto done;
    }
    /* A bank reference is unique within its account: another account may use it too. */
    if ((dup = fx_parsed_find(p, ref, of_account, account)) != NULL) {
        fx_problem(p, line, ref, "AcctSvcrRef", "the same entry reference appears again (line %ld)",
                   dup->line);
        goto done;
    }
    e = fx_parsed_add(p);
    if (e == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    e->line = line;
    e->key = ref;
    ref = NULL;
    if ((account != NULL && (e->account = strdup(account)) == NULL) ||
        (account_old != NULL && (e->account_old = strdup(account_old)) == NULL)) {
        rc = CG_ENOMEM;
        goto done;
    }
    if (ind == NULL || (strcmp(ind, "CRDT") != 0 && strcmp(ind, "DBIT") != 0)) {
        fx_problem(p, line, e->key, "CdtDbtInd", "'%s' is neither CRDT nor DBIT", ind ? ind : "");
        bad = 1;
    }
    e->out = ind != NULL && strcmp(ind, "DBIT") == 0;
    e->charge = e->out && coded_charge(n);
    if (amount_of(p, child(n, "Amt"), e->key, "Amt", e->currency, &e->net) != CG_OK)
        bad = 1;
    dt = child(n, "BookgDt");
    if (day_of(dt, e->booked_on) != CG_OK) {
        day_problem(p, dt, dt != NULL ? xmlGetLineNo(dt) : line, e->key, "BookgDt");
        bad = 1;
    }
    dt = child(n, "ValDt");
    if (dt == NULL)
        cg_strlcpy(e->value_on, e->booked_on, sizeof(e->value_on));
    else if (day_of(dt, e->value_on) != CG_OK) {
        day_problem(p, dt, xmlGetLineNo(dt), e->key, "ValDt");
        bad = 1;
    }
    dt = path(n, "Chrgs", "TtlChrgsAndTaxAmt", NULL);
    if (dt == NULL)
        dt = path(n, "Chrgs", "Rcrd", "Amt");
    if (dt != NULL && !bad && amount_of(p, dt, e->key, "Chrgs", e->currency, &e->fee) != CG_OK)
        bad = 1;
    e->gross = e->net + e->fee;
    /* Transactions: references for matching, and lines when several carry amounts. */
    for (tx = path(n, "NtryDtls", NULL, NULL); tx != NULL; tx = NULL) {
        xmlNodePtr c;
        for (c = tx->children; c != NULL; c = c->next) {
            if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "TxDtls") == 0)
                ntx++;
        }
        if (ntx > 1) {
            e->lines = calloc(ntx, sizeof(*e->lines));
            if (e->lines == NULL) {
                rc = CG_ENOMEM;
                goto done;
            }
        }
        for (c = tx->children; c != NULL; c = c->next) {
            xmlNodePtr amt;
            struct cg_buf u;
            if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "TxDtls") != 0)
                continue;
            tmp = text(path(c, "Refs", "EndToEndId", NULL));
            add_ref(&refs, tmp);
            cg_buf_init(&u, 1u << 16);
            ustrd(c, &u);
            add_ref(&refs, u.data);
            add_text_of(&words, child(c, "AddtlTxInf"));
            add_ref(&words, u.data);
            if (e->remitter == NULL)
                e->remitter = debtor(c);
            if (e->lines != NULL) {
                struct fx_line *l = &e->lines[e->nlines];
                amt = path(c, "AmtDtls", "TxAmt", "Amt");
                if (amt == NULL)
                    amt = child(c, "Amt");
                l->order_ref = tmp != NULL && strcmp(tmp, "NOTPROVIDED") != 0 ? tmp : NULL;
                if (l->order_ref != NULL)
                    tmp = NULL;
                l->pay_ref = cg_buf_take(&u);
                if (!bad && amount_of(p, amt, e->key, "TxDtls/Amt", e->currency, &l->net) != CG_OK)
                    bad = 1;
                l->gross = l->net;
                e->nlines++;
            }
            free(tmp);
            cg_buf_free(&u);
        }
    }
    if (e->lines != NULL && !bad) {
        int64_t sum = 0;
        for (i = 0; i < e->nlines; i++)
            sum += e->lines[i].net;
        if (sum != e->net) {
            char a[40], b[40];
            fx_amount_format(sum, e->currency, a, sizeof(a));
            fx_amount_format(e->net, e->currency, b, sizeof(b));
            fx_problem(p, line, e->key, "TxDtls", "transactions add up to %s, the entry is %s", a,
                       b);
        }
    }
    if (refs.len > 0)
        e->reference = cg_buf_take(&refs);
    else
        e->reference = text(child(n, "AddtlNtryInf"));
    add_text_of(&words, child(n, "AddtlNtryInf"));
    if (words.len > 0)
        e->narrative = cg_buf_take(&words);
done:
    cg_buf_free(&refs);
    cg_buf_free(&words);
    free(ref);
    free(sts);
    free(ind);
    return rc;
}

/*
 * The account of a statement or notification: Acct/Id/IBAN, else Acct/Id/Othr/Id, its text
 * trimmed. Only Othr's Id: the scheme (SchmeNm) and issuer (Issr) beside it say what kind of
 * number it is, and an MT940 statement of the account (:25:) names the number alone. NULL when
 * the statement names neither (caller frees).
 */
static char *account_of(xmlNodePtr st)
{
    xmlNodePtr id = path(st, "Acct", "Id", NULL);
    char *a = text(child(id, "IBAN"));

    return a != NULL ? a : text(path(id, "Othr", "Id", NULL));
}

/*
 * The account of the statement as a cebgate from before settle migration 9 took it when the
 * statement names Acct/Id/Othr: the text of the whole Othr, trimmed. NULL when that is the
 * account (an IBAN, an Othr holding only its Id) or when out of memory (caller frees).
 */
static char *account_old_of(xmlNodePtr st, const char *account)
{
    xmlNodePtr id = path(st, "Acct", "Id", NULL);
    char *a;

    if (account == NULL || child(id, "IBAN") != NULL)
        return NULL;
    a = text(child(id, "Othr"));
    if (a != NULL && strcmp(a, account) == 0) {
        free(a);
        a = NULL;
    }
    return a;
}

/* "CRDT 1000.00" or "DBIT 10.00": a signed balance as camt writes its indicator. */
static void bal_text(int64_t v, const char *cur, char *buf, size_t size)
{
    char a[40];

    fx_amount_format(v < 0 ? -v : v, cur, a, sizeof(a));
    snprintf(buf, size, "%s %s", v < 0 ? "DBIT" : "CRDT", a);
}

/*
 * The first balance of statement st whose type (Tp/CdOrPrtry/Cd) is code: its signed amount
 * (DBIT negative) and currency. CG_ENOTFOUND when the statement has none; a balance that is
 * there but unreadable is a problem of the file (CG_EREJECT).
 */
static int stmt_balance(struct fx_parsed *p, xmlNodePtr st, const char *ref, const char *code,
                        char cur[4], int64_t *v, long *line)
{
    xmlNodePtr b, amt;
    char field[16];
    int rc = CG_ENOTFOUND;

    snprintf(field, sizeof(field), "Bal/%s", code);
    for (b = st->children; b != NULL && rc == CG_ENOTFOUND; b = b->next) {
        char *tp, *t, *ind;
        xmlChar *ccy;
        struct cg_err e;
        if (b->type != XML_ELEMENT_NODE || strcmp((const char *)b->name, "Bal") != 0)
            continue;
        tp = text(path(b, "Tp", "CdOrPrtry", "Cd"));
        if (tp == NULL || strcmp(tp, code) != 0) {
            free(tp);
            continue;
        }
        free(tp);
        amt = child(b, "Amt");
        *line = xmlGetLineNo(amt != NULL ? amt : b);
        ccy = amt != NULL ? xmlGetProp(amt, (const xmlChar *)"Ccy") : NULL;
        t = text(amt);
        ind = text(child(b, "CdtDbtInd"));
        rc = CG_EREJECT;
        if (ccy == NULL || strlen((const char *)ccy) != 3 || t == NULL)
            fx_problem(p, *line, ref, field, "no amount with a Ccy attribute");
        else if (fx_amount_parse(t, (const char *)ccy, v, &e) != CG_OK)
            fx_problem(p, *line, ref, field, "%s", e.msg);
        else if (ind == NULL || (strcmp(ind, "CRDT") != 0 && strcmp(ind, "DBIT") != 0))
            fx_problem(p, *line, ref, field, "CdtDbtInd '%s' is neither CRDT nor DBIT",
                       ind != NULL ? ind : "");
        else {
            cg_strlcpy(cur, (const char *)ccy, 4);
            if (strcmp(ind, "DBIT") == 0)
                *v = -*v;
            rc = CG_OK;
        }
        xmlFree(ccy);
        free(t);
        free(ind);
    }
    return rc;
}

/*
 * A statement giving its opening balance (OPBD, else PRCD, the previous closing balance) and its
 * closing balance (CLBD): the opening plus the credits less the debits booked in it (entries
 * from..p->n) must give the closing, as an MT940 statement's must. Not checked when either
 * balance is missing or an entry of the statement is bad (its amount unknown).
 */
static void stmt_balances(struct fx_parsed *p, xmlNodePtr st, size_t from, long problems)
{
    char *ref = text(child(st, "Id"));
    char ocur[4] = "", ccur[4] = "";
    const char *otype = "OPBD";
    int64_t open = 0, close = 0, sum = 0, want;
    long oline = 0, cline = 0;
    int rc;
    size_t i;

    rc = stmt_balance(p, st, ref, "OPBD", ocur, &open, &oline);
    if (rc == CG_ENOTFOUND) {
        otype = "PRCD";
        rc = stmt_balance(p, st, ref, "PRCD", ocur, &open, &oline);
    }
    if (rc != CG_OK || stmt_balance(p, st, ref, "CLBD", ccur, &close, &cline) != CG_OK ||
        p->problems > problems)
        goto done;
    if (strcmp(ocur, ccur) != 0) {
        fx_problem(p, cline, ref, "Bal/CLBD", "currency %s differs from the opening balance's %s",
                   ccur, ocur);
        goto done;
    }
    for (i = from; i < p->n; i++) {
        const struct fx_entry *e = &p->e[i];
        if (strcmp(e->currency, ccur) != 0) {
            fx_problem(p, e->line, e->key, "Amt", "currency %s differs from the balances' %s",
                       e->currency, ccur);
            goto done;
        }
        sum += e->out ? -e->net : e->net;
    }
    if (__builtin_add_overflow(open, sum, &want) || want != close) {
        char a[64], b[64], c[64], d[64];
        bal_text(open, ccur, a, sizeof(a));
        fx_amount_format(sum < 0 ? -sum : sum, ccur, b, sizeof(b));
        bal_text(want, ccur, c, sizeof(c));
        bal_text(close, ccur, d, sizeof(d));
        fx_problem(p, cline, ref, "Bal/CLBD",
                   "opening balance (%s) %s %s the entries' %s gives %s, the closing balance is %s",
                   otype, a, sum < 0 ? "less" : "plus", b, c, d);
    }
done:
    free(ref);
}

int fx_parse_camt(struct fx_parsed *p, const char *data, size_t len, struct cg_err *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root, body, st, n;
    char *acct = NULL, *acct_old = NULL;
    const char *ns;
    struct cg_err e;
    size_t from;
    long problems;
    int rc;

    cg_err_clear(&e);
    rc = cg_xml_parse(data, len, p->name, &doc, &e);
    if (rc == CG_ENOMEM)
        return CG_ERR_SET(err, rc, "%s", e.msg);
    if (rc != CG_OK) {
        p->problems++;
        if (p->problem != NULL)
            p->problem(p->pctx, e.msg);
        return CG_OK;
    }
    root = xmlDocGetRootElement(doc);
    ns = root->ns != NULL ? (const char *)root->ns->href : "";
    if (strcmp((const char *)root->name, "Document") != 0 ||
        strncmp(ns, CAMT_NS, strlen(CAMT_NS)) != 0 ||
        (strncmp(ns + strlen(CAMT_NS), "053.", 4) != 0 &&
         strncmp(ns + strlen(CAMT_NS), "054.", 4) != 0)) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "%s:%ld: root %s in namespace '%s' is not an ISO 20022 camt.053 or camt.054 "
                 "Document",
                 p->name, (long)xmlGetLineNo(root), (const char *)root->name, ns);
        p->problems++;
        if (p->problem != NULL)
            p->problem(p->pctx, msg);
        goto done;
    }
    p->kind = strncmp(ns + strlen(CAMT_NS), "053.", 4) == 0 ? CG_STMT_CAMT053 : CG_STMT_CAMT054;
    body = child(root, p->kind == CG_STMT_CAMT053 ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn");
    if (body == NULL) {
        fx_problem(p, xmlGetLineNo(root), NULL, NULL, "no %s element",
                   p->kind == CG_STMT_CAMT053 ? "BkToCstmrStmt" : "BkToCstmrDbtCdtNtfctn");
        goto done;
    }
    /*
     * A file may hold several statements, one for each account (or currency) of the customer:
     * the entries of each are its account's, and known by that account and their reference.
     */
    for (st = body->children; st != NULL && rc == CG_OK; st = st->next) {
        if (st->type != XML_ELEMENT_NODE ||
            strcmp((const char *)st->name, p->kind == CG_STMT_CAMT053 ? "Stmt" : "Ntfctn") != 0)
            continue;
        if (p->stmt_id == NULL)
            p->stmt_id = text(child(st, "Id"));
        free(acct);
        free(acct_old);
        acct = account_of(st);
        acct_old = account_old_of(st, acct);
        if (acct == NULL) {
            char *id = text(child(st, "Id"));
            n = child(st, "Acct");
            fx_problem(p, xmlGetLineNo(n != NULL ? n : st), id, "Acct/Id",
                       "the %s names no account (IBAN or Othr/Id)",
                       p->kind == CG_STMT_CAMT053 ? "statement" : "notification");
            free(id);
        }
        from = p->n;
        problems = p->problems;
        for (n = st->children; n != NULL && rc == CG_OK; n = n->next) {
            if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "Ntry") == 0)
                rc = entry(p, n, acct, acct_old);
        }
        if (rc == CG_OK)
            stmt_balances(p, st, from, problems);
    }
    if (rc == CG_ENOMEM)
        CG_ERR_SET(err, rc, "out of memory");
done:
    free(acct);
    free(acct_old);
    xmlFreeDoc(doc);
    return rc;
}
