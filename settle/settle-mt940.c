/*
 * settle-mt940.c - SWIFT MT940 customer statements to entries.
 *
 * No Debian-packaged C library reads MT940, so the fields are read here. A file holds one or
 * more statements, each a ":20:" block, with or without the SWIFT envelope ("{1:...}{2:...}{4:"
 * before the fields, "-}" after them). Each :61: line becomes one entry as a camt Ntry does
 * (settle-camt.c): the amount in minor units of the :60F:/:60M: currency, C and RD in, D and RC
 * out, the value date and the entry date, the bank's reference (after "//") as the entry's
 * identity, the customer reference and the :86: text that follows the line as references for
 * matching, the /CHGS/ of the supplementary details as the fee. Each block's opening balance
 * plus its lines must give its closing balance, and the block after a :62M: must open with it.
 * Every bad field is reported through the problem callback with its line; the caller imports
 * nothing when there is one. Parsed strings belong to the struct fx_parsed.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvread.h"
#include "core/fsutil.h"
#include "core/text.h"
#include "settle/settle-int.h"

#define LINE_MAX_MT 4096u /* longer lines are not MT940 */
#define FIELD_MAX (64u * 1024u)

int fx_mt940_amount(const char *s, size_t n, const char *cur, int64_t *minor, struct cg_err *err)
{
    char buf[40], why[128];
    size_t i, comma = n;
    int exp;

    if (n == 0 || n > 15)
        return CG_ERR_SET(err, CG_EREJECT, "'%.*s' is not an amount of 1 to 15 characters",
                          (int)(n < 40 ? n : 40), s);
    for (i = 0; i < n; i++) {
        if (s[i] == ',' && comma == n)
            comma = i;
        else if (!isdigit((unsigned char)s[i]))
            break;
    }
    if (i < n && memchr(s, '.', n) != NULL)
        return CG_ERR_SET(err, CG_EREJECT,
                          "'%.*s' is not an MT940 amount: the decimals follow a comma and there is "
                          "no thousands separator, as 1234,56",
                          (int)n, s);
    if (i < n || comma == n || comma == 0)
        return CG_ERR_SET(err, CG_EREJECT,
                          "'%.*s' is not an amount: digits with one decimal comma, as 1234,56",
                          (int)n, s);
    if (cg_money_exponent(cur, &exp) != CG_OK)
        return CG_ERR_SET(err, CG_EREJECT, "%s", fx_currency_why(cur, why, sizeof(why)));
    if (n - comma - 1 > (size_t)exp)
        return CG_ERR_SET(err, CG_EREJECT, "'%.*s' has more than %d decimals for %s", (int)n, s,
                          exp, cur);
    /* "1234," is whole units; "1234,5" has one decimal: the dot form of core/money. */
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (comma == n - 1)
        buf[comma] = '\0';
    else
        buf[comma] = '.';
    return fx_amount_parse(buf, cur, minor, err);
}

int fx_mt940_date(const char *s, char out[CG_DAY_LEN])
{
    char d[CG_DAY_LEN];
    long x;
    int yy;
    size_t i;

    for (i = 0; i < 6; i++) {
        if (!isdigit((unsigned char)s[i]))
            return CG_EINVAL;
    }
    yy = (s[0] - '0') * 10 + (s[1] - '0');
    /* Two-digit years as SWIFT dates are read: 80 to 99 are 1980 to 1999, the rest 20YY. */
    snprintf(d, sizeof(d), "%s%c%c-%c%c-%c%c", yy >= 80 ? "19" : "20", s[0], s[1], s[2], s[3], s[4],
             s[5]);
    if (fx_day_parse(d, &x) != CG_OK)
        return CG_EINVAL;
    cg_strlcpy(out, d, CG_DAY_LEN);
    return CG_OK;
}

static int digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

int fx_mt940_entry_date(const char *value_on, const char *mmdd, char out[CG_DAY_LEN])
{
    char d[32];
    long v, best = 0, x;
    int year, y, found = 0;

    if (!digits(mmdd, 4) || fx_day_parse(value_on, &v) != CG_OK)
        return CG_EINVAL;
    year = (value_on[0] - '0') * 1000 + (value_on[1] - '0') * 100 + (value_on[2] - '0') * 10 +
           (value_on[3] - '0');
    /* The year of the value date, or the one before or after it when that is nearer (an entry
     * booked on 31 December for value on 2 January); more than half a year apart is no date. */
    for (y = year - 1; y <= year + 1; y++) {
        if (y < 1 || y > 9999)
            continue;
        snprintf(d, sizeof(d), "%04d-%c%c-%c%c", y, mmdd[0], mmdd[1], mmdd[2], mmdd[3]);
        if (fx_day_parse(d, &x) != CG_OK)
            continue;
        if (!found || labs(x - v) < labs(best - v)) {
            best = x;
            found = 1;
        }
    }
    if (!found || labs(best - v) > 183)
        return CG_EINVAL;
    fx_day_format(best, out);
    return CG_OK;
}

/* ------------------------------------------------------------------ reading the fields */

/* A block that ended with its intermediate closing balance (:62M:). */
struct prev_block {
    char ref[40], cur[4];
    int64_t close;
    long line; /* of the :62M:, 0 when the block before ended otherwise */
};

/* The :20: block being read. */
struct stmt {
    char ref[40]; /* :20:, "-" until seen */
    long line;    /* of :20:, 0 before the first one */
    char cur[4];  /* of :60F: or :60M: */
    int opened, closed, bad, account;
    int counted;      /* the last :61: is in sum, whatever else is wrong with it */
    int intermediate; /* closed by :62M:: the statement goes on in the next block */
    int64_t open, sum;
    long close_line;
    int64_t close;
    char seq[16]; /* :28C: */
    long nlines;
    long entry; /* index of the entry of the last :61: in p->e, -1 when the last field was not */
    struct prev_block prev; /* the block before */
};

struct field {
    char tag[4];
    long line;
    struct cg_buf v; /* the field's lines, joined by '\n' */
    int open;
};

/* "C 1250.00" or "D 10.00": a signed balance as MT940 writes its mark. */
static void balance_text(int64_t v, const char *cur, char *buf, size_t size)
{
    char a[40];

    fx_amount_format(v < 0 ? -v : v, cur, a, sizeof(a));
    snprintf(buf, size, "%s %s", v < 0 ? "D" : "C", a);
}

/* :60F: :60M: :62F: :62M: "C260930USD1234,56": the signed balance and its currency. */
static int balance(struct fx_parsed *p, const struct stmt *st, const struct field *f, char cur[4],
                   int64_t *v)
{
    const char *s = f->v.data != NULL ? f->v.data : "";
    size_t n = strcspn(s, "\n");
    char day[CG_DAY_LEN];
    struct cg_err e;

    if (n < 11 || (s[0] != 'C' && s[0] != 'D')) {
        fx_problem(p, f->line, st->ref, f->tag,
                   "'%.*s' is not a balance: C or D, YYMMDD, currency, amount", (int)n, s);
        return CG_EREJECT;
    }
    if (fx_mt940_date(s + 1, day) != CG_OK) {
        fx_problem(p, f->line, st->ref, f->tag, "'%.6s' is not a date YYMMDD", s + 1);
        return CG_EREJECT;
    }
    memcpy(cur, s + 7, 3);
    cur[3] = '\0';
    if (fx_mt940_amount(s + 10, n - 10, cur, v, &e) != CG_OK) {
        fx_problem(p, f->line, st->ref, f->tag, "%s", e.msg);
        return CG_EREJECT;
    }
    if (s[0] == 'D')
        *v = -*v;
    return CG_OK;
}

static int add_text(struct cg_buf *b, const char *s, size_t n)
{
    int rc = CG_OK;

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        n--;
    }
    if (n == 0)
        return CG_OK;
    if (b->len > 0)
        rc = cg_buf_addc(b, ' ');
    return rc == CG_OK ? cg_buf_add(b, s, n) : rc;
}

/*
 * The supplementary details' "/CHGS/USD2,50/": the charges the bank took from the transfer, in
 * the statement's currency. 0 when there are none; CG_EREJECT reported.
 */
static int charges(struct fx_parsed *p, const struct field *f, const char *ref, const char *cur,
                   const char *sup, int64_t *fee)
{
    const char *c = strstr(sup, "/CHGS/");
    size_t n;
    struct cg_err e;

    *fee = 0;
    if (c == NULL)
        return CG_OK;
    c += 6;
    n = strcspn(c, "/ ");
    if (n < 4 || strncmp(c, cur, 3) != 0) {
        fx_problem(p, f->line + 1, ref, "61", "charges '/CHGS/%.*s' are not in the statement's %s",
                   (int)n, c, cur);
        return CG_EREJECT;
    }
    if (fx_mt940_amount(c + 3, n - 3, cur, fee, &e) != CG_OK) {
        fx_problem(p, f->line + 1, ref, "61", "charges: %s", e.msg);
        return CG_EREJECT;
    }
    return CG_OK;
}

/*
 * The signed amount of a :61: line (s, its first line of n bytes) for the statement's balance:
 * read by the layout alone, past the value date (any 6 characters), the entry date, the mark and
 * the funds code, so that a line refused for another of its parts (a date, its type, a
 * reference, its charges) still counts in the balance, and a wrong closing balance is reported
 * in the same round as the line. CG_EINVAL when the mark or the amount cannot be read.
 */
static int line_amount(const char *s, size_t n, const char *cur, int64_t *signed_amount)
{
    size_t i = 6, k;
    int out;
    int64_t a = 0;
    struct cg_err err;

    if (n < i)
        return CG_EINVAL;
    if (n >= i + 4 && digits(s + i, 4))
        i += 4;
    if (i + 2 <= n && s[i] == 'R' && (s[i + 1] == 'C' || s[i + 1] == 'D')) {
        out = s[i + 1] == 'C';
        i += 2;
    } else if (i < n && (s[i] == 'C' || s[i] == 'D')) {
        out = s[i] == 'D';
        i++;
    } else {
        return CG_EINVAL;
    }
    if (i < n && isupper((unsigned char)s[i]))
        i++;
    k = i;
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == ',' || s[i] == '.'))
        i++;
    if (fx_mt940_amount(s + k, i - k, cur, &a, &err) != CG_OK || a < 0)
        return CG_EINVAL;
    *signed_amount = out ? -a : a;
    return CG_OK;
}

/*
 * :61: 6!n[4!n]2a[1!a]15d1!a3!c16x[//16x] and an optional second line of supplementary details:
 * value date, entry date, mark (C, D, RC, RD), funds code, amount, transaction type, the
 * customer's reference, the bank's reference.
 */
static int line61(struct fx_parsed *p, struct stmt *st, const struct field *f)
{
    const char *s = f->v.data != NULL ? f->v.data : "";
    size_t n = strcspn(s, "\n"), i = 0, k;
    const char *sup = s[n] == '\n' ? s + n + 1 : "";
    char value_on[CG_DAY_LEN], booked_on[CG_DAY_LEN];
    char mark[3] = "", cref[20] = "", bref[20] = "", key[64], type[4] = "";
    int64_t amount = 0, fee = 0;
    struct fx_entry *e;
    struct cg_buf refs;
    struct cg_err err;
    int rc;

    st->nlines++;
    st->counted = 0;
    if (st->cur[0] != '\0' && line_amount(s, n, st->cur, &amount) == CG_OK) {
        if (__builtin_add_overflow(st->sum, amount, &st->sum)) {
            fx_problem(p, f->line, NULL, "61", "the lines add up beyond what can be counted");
            st->bad = 1;
        } else {
            st->counted = 1;
        }
        amount = 0;
    }
    if (n < 6 || fx_mt940_date(s, value_on) != CG_OK) {
        fx_problem(p, f->line, NULL, "61", "'%.6s' is not a value date YYMMDD", s);
        return CG_OK;
    }
    i = 6;
    cg_strlcpy(booked_on, value_on, sizeof(booked_on));
    if (n >= i + 4 && digits(s + i, 4)) {
        if (fx_mt940_entry_date(value_on, s + i, booked_on) != CG_OK) {
            fx_problem(p, f->line, NULL, "61", "'%.4s' is not an entry date MMDD", s + i);
            return CG_OK;
        }
        i += 4;
    }
    if (i + 2 <= n && s[i] == 'R' && (s[i + 1] == 'C' || s[i + 1] == 'D')) {
        memcpy(mark, s + i, 2);
        i += 2;
    } else if (i < n && (s[i] == 'C' || s[i] == 'D')) {
        mark[0] = s[i++];
    } else {
        fx_problem(p, f->line, NULL, "61",
                   "debit/credit mark '%.2s' is none of C, D, RC (reversal of a credit) and RD "
                   "(reversal of a debit)",
                   i < n ? s + i : "");
        return CG_OK;
    }
    if (i < n && isupper((unsigned char)s[i]))
        i++; /* funds code: the third letter of the currency, nothing to check against */
    k = i;
    /* a '.' too, so that an amount written 1.234,50 is refused as one, not as the type */
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == ',' || s[i] == '.'))
        i++;
    /* The references first, so that a problem of the amount names the entry. */
    if (i + 4 <= n && strchr("NFS", s[i]) != NULL && isalnum((unsigned char)s[i + 1]) &&
        isalnum((unsigned char)s[i + 2]) && isalnum((unsigned char)s[i + 3])) {
        const char *r = s + i + 4, *end = s + n, *sl = NULL;
        const char *q;
        memcpy(type, s + i + 1, 3);
        for (q = r; q + 1 < end; q++) {
            if (q[0] == '/' && q[1] == '/') {
                sl = q;
                break;
            }
        }
        snprintf(cref, sizeof(cref), "%.*s",
                 (int)((sl != NULL ? sl : end) - r > 16 ? 16 : (sl != NULL ? sl : end) - r), r);
        if (sl != NULL)
            snprintf(bref, sizeof(bref), "%.*s", (int)(end - sl - 2 > 16 ? 16 : end - sl - 2),
                     sl + 2);
        while (bref[0] != '\0' && bref[strlen(bref) - 1] == ' ')
            bref[strlen(bref) - 1] = '\0';
    } else {
        fx_problem(p, f->line, NULL, "61",
                   "'%.*s' is not a transaction type: N, F or S and three letters or digits, "
                   "as NTRF",
                   (int)(n - i < 4 ? n - i : 4), s + i);
        return CG_OK;
    }
    /* Without the bank's reference the line is named by its place in the statement while the
     * file is read, and known by its content once it is (noref_keys). */
    if (bref[0] != '\0' && strcmp(bref, "NONREF") != 0)
        cg_strlcpy(key, bref, sizeof(key));
    else
        snprintf(key, sizeof(key), "%s/%s/%ld", st->ref, st->seq, st->nlines);
    if (st->cur[0] == '\0')
        return CG_OK; /* the opening balance, which gives the currency, is refused already */
    if (fx_mt940_amount(s + k, i - k, st->cur, &amount, &err) != CG_OK) {
        fx_problem(p, f->line, key, "61", "%s", err.msg);
        return CG_OK;
    }
    if (amount <= 0) {
        fx_problem(p, f->line, key, "61", "amount %.*s is not positive", (int)(i - k), s + k);
        return CG_OK;
    }
    if (charges(p, f, key, st->cur, sup, &fee) != CG_OK)
        return CG_OK;
    if ((e = fx_parsed_find(p, key, NULL, NULL)) != NULL) {
        fx_problem(p, f->line, key, "61", "the same bank reference appears again (line %ld)",
                   e->line);
        return CG_OK;
    }
    e = fx_parsed_add(p);
    if (e == NULL || (e->key = cg_strdup(key)) == NULL)
        return CG_ENOMEM;
    if ((bref[0] == '\0' || strcmp(bref, "NONREF") == 0) && (e->content = cg_strdup(s)) == NULL)
        return CG_ENOMEM;
    e->line = f->line;
    e->out = strcmp(mark, "D") == 0 || strcmp(mark, "RC") == 0;
    /* transaction type CHG (charges and other expenses) or COM (commission): the bank's own */
    e->charge = e->out && (strcmp(type, "CHG") == 0 || strcmp(type, "COM") == 0);
    cg_strlcpy(e->currency, st->cur, sizeof(e->currency));
    e->net = amount;
    e->fee = fee;
    e->gross = amount + fee;
    cg_strlcpy(e->value_on, value_on, sizeof(e->value_on));
    cg_strlcpy(e->booked_on, booked_on, sizeof(e->booked_on));
    cg_buf_init(&refs, 1u << 16);
    rc = strcmp(cref, "NONREF") != 0 ? add_text(&refs, cref, strlen(cref)) : CG_OK;
    if (rc == CG_OK && refs.len > 0 && (e->reference = cg_buf_take(&refs)) == NULL)
        rc = CG_ENOMEM;
    cg_buf_free(&refs);
    if (rc != CG_OK)
        return rc;
    st->entry = (long)(p->n - 1);
    return CG_OK;
}

/*
 * The structured :86: of German banks (DFUe-Abkommen): a 3-digit business code, then subfields
 * "?NN". The remittance text (?20-?29, ?60-?63) runs on over its subfields and the field's
 * lines, so it is joined without a separator; each SEPA keyword in it ("EREF+", "SVWZ+", ...)
 * starts a word of its own and is dropped: "?20EREF+A-1?21SVWZ+tea" gives "A-1 tea". The
 * payer's name (?32, ?33) follows. The other subfields (posting text, bank codes) are left out.
 * words (NULL: none) gets the posting text (?00) and each remittance subfield as written, a
 * space between: a charge word is a word there, or in the remittance text run on.
 */
static bool structured86(const char *s)
{
    return isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
           isdigit((unsigned char)s[2]) && s[3] == '?';
}

static int add_structured86(struct cg_buf *out, const char *s, struct cg_buf *words)
{
    static const char *const keys[] = {"EREF+", "KREF+", "MREF+", "CRED+", "DEBT+",
                                       "COAM+", "OAMT+", "SVWZ+", "ABWA+", "ABWE+"};
    struct cg_buf rem, name;
    int rc = CG_OK;

    cg_buf_init(&rem, 1u << 16);
    cg_buf_init(&name, 1u << 16);
    s += 3;
    while (rc == CG_OK && s[0] == '?' && isdigit((unsigned char)s[1]) &&
           isdigit((unsigned char)s[2])) {
        int code = (s[1] - '0') * 10 + (s[2] - '0');
        struct cg_buf *to = (code >= 20 && code <= 29) || (code >= 60 && code <= 63) ? &rem
                            : code == 32 || code == 33                               ? &name
                                                                                     : NULL;
        /* the posting text and each remittance subfield on its own, for the charge words */
        struct cg_buf *w = words != NULL && (code == 0 || to == &rem) ? words : NULL;

        if (w != NULL && w->len > 0)
            rc = cg_buf_addc(w, ' ');
        for (s += 3; rc == CG_OK && *s != '\0' && *s != '?'; s++) {
            size_t k;

            if (*s == '\n' || *s == '\r')
                continue;
            if (w != NULL)
                rc = cg_buf_addc(w, *s);
            if (to == NULL || rc != CG_OK)
                continue;
            for (k = 0; to == &rem && k < sizeof(keys) / sizeof(keys[0]); k++) {
                if (strncmp(s, keys[k], 5) == 0)
                    break;
            }
            if (to == &rem && k < sizeof(keys) / sizeof(keys[0])) {
                rc = cg_buf_addc(to, ' ');
                if (rc == CG_OK && w != NULL)
                    rc = cg_buf_add(w, s + 1, 4);
                s += 4;
            } else {
                rc = cg_buf_addc(to, *s);
            }
        }
    }
    if (rc == CG_OK)
        rc = add_text(out, cg_buf_str(&rem), rem.len);
    if (rc == CG_OK)
        rc = add_text(out, cg_buf_str(&name), name.len);
    cg_buf_free(&rem);
    cg_buf_free(&name);
    return rc;
}

/*
 * The SWIFT codewords of a structured :86: ("/ORDP/ANNA MILLER/REMI/ORDER 1001/"): "/CODE/" at p
 * gives its length, 0 when p holds none. Only these codes start a subfield, so a '/' of the
 * remittance text does not ("/REMI/INV 7/2026/").
 */
static size_t swift_code(const char *p)
{
    static const char *const codes[] = {
        "ORDP", "BENM", "ULTD", "ULTB", "NAME", "ADDR", "CNTP", "REMI", "EREF", "MARF", "CSID",
        "PURP", "OCMT", "CHGS", "EXCH", "RTRN", "IREF", "PREF", "TRCD", "ISDT", "BUSP", "SVCL"};
    size_t k;

    if (p[0] != '/')
        return 0;
    for (k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
        if (strncmp(p + 1, codes[k], 4) == 0 && p[5] == '/')
            return 6;
    }
    return 0;
}

/*
 * A structured :86: of SWIFT codewords (s starts with one): its lines run on without a
 * separator (the bank wraps it at 65 characters wherever that falls). Each subfield runs to the
 * next codeword. The ordering party (/ORDP/NAME/, or its /NAME/ subfield: /ORDP//NAME/NAME/) is
 * the remitter; the subfields naming a party (ORDP, BENM, ULTD, ULTB, NAME, ADDR, CNTP) are no
 * references; every other one (the remittance text /REMI/, the end-to-end id /EREF/, ...) is
 * added to refs, its '/' and spaces at either end trimmed.
 */
static int add_swift86(struct cg_buf *refs, struct fx_entry *e, const char *s)
{
    struct cg_buf j;
    const char *p;
    int rc = CG_OK, ordp = 0;

    cg_buf_init(&j, FIELD_MAX);
    for (; rc == CG_OK && *s != '\0'; s++) {
        if (*s != '\n' && *s != '\r')
            rc = cg_buf_addc(&j, *s);
    }
    for (p = cg_buf_str(&j); rc == CG_OK && *p != '\0';) {
        size_t k = swift_code(p), n;
        const char *v = p + k, *q = v;
        char code[5];

        memcpy(code, p + 1, 4);
        code[4] = '\0';
        while (*q != '\0' && swift_code(q) == 0)
            q++;
        p = q;
        while (v < q && (*v == '/' || *v == ' '))
            v++;
        for (n = (size_t)(q - v); n > 0 && (v[n - 1] == '/' || v[n - 1] == ' '); n--)
            ;
        if (strcmp(code, "ORDP") == 0 || (strcmp(code, "NAME") == 0 && ordp)) {
            ordp = 1;
            if (n > 0 && e->remitter == NULL && (e->remitter = strndup(v, n)) == NULL)
                rc = CG_ENOMEM;
        } else if (strstr("BENM ULTD ULTB NAME ADDR CNTP", code) != NULL) {
            ordp = ordp && strcmp(code, "ADDR") == 0; /* a NAME after these is another party's */
        } else {
            rc = add_text(refs, v, n);
        }
    }
    cg_buf_free(&j);
    return rc;
}

/* Each line of s to b and to words, joined by spaces. */
static int add_lines(struct cg_buf *b, struct cg_buf *words, const char *s)
{
    int rc = CG_OK;

    while (rc == CG_OK && *s != '\0') {
        size_t n = strcspn(s, "\n");
        rc = add_text(b, s, n);
        if (rc == CG_OK)
            rc = add_text(words, s, n);
        s += n + (s[n] == '\n');
    }
    return rc;
}

/*
 * :86: after a :61: line: its text, the lines joined by spaces, after the customer reference.
 * Its text alone, with the posting text (?00) of a structured one before, is the entry's
 * narrative, where the charge words are looked for.
 */
static int info86(struct fx_parsed *p, struct stmt *st, const struct field *f)
{
    struct fx_entry *e;
    struct cg_buf b, words;
    const char *s = f->v.data != NULL ? f->v.data : "";
    int rc = CG_OK;

    if (st->entry < 0)
        return CG_OK; /* information on the statement, not on a line */
    e = &p->e[st->entry];
    cg_buf_init(&b, 1u << 16);
    cg_buf_init(&words, 1u << 16);
    if (e->reference != NULL)
        rc = cg_buf_adds(&b, e->reference);
    if (rc == CG_OK && swift_code(s) > 0) {
        /* the references as before the subfields were read: what the line is known by */
        struct cg_buf refs;
        const char *l = s;

        cg_buf_init(&refs, 1u << 16);
        if (e->reference != NULL)
            rc = cg_buf_adds(&refs, e->reference);
        if (rc == CG_OK)
            rc = add_swift86(&refs, e, s);
        if (rc == CG_OK)
            rc = add_lines(&b, &words, l);
        free(e->keyed_ref);
        e->keyed_ref = rc == CG_OK ? cg_buf_take(&b) : NULL;
        if (rc == CG_OK && e->keyed_ref == NULL)
            rc = CG_ENOMEM;
        cg_buf_free(&b);
        b = refs; /* the references are the subfields' */
        s = "";
    } else if (rc == CG_OK && structured86(s)) {
        struct cg_buf text;
        cg_buf_init(&text, 1u << 16);
        rc = add_structured86(&text, s, &words);
        if (rc == CG_OK)
            rc = add_text(&b, cg_buf_str(&text), text.len);
        if (rc == CG_OK)
            rc = add_text(&words, cg_buf_str(&text), text.len);
        cg_buf_free(&text);
        s = "";
    }
    if (rc == CG_OK)
        rc = add_lines(&b, &words, s);
    if (rc == CG_OK && b.len > 0) {
        free(e->reference);
        e->reference = cg_buf_take(&b);
        if (e->reference == NULL)
            rc = CG_ENOMEM;
    }
    if (rc == CG_OK && words.len > 0) {
        free(e->narrative);
        e->narrative = cg_buf_take(&words);
        if (e->narrative == NULL)
            rc = CG_ENOMEM;
    }
    cg_buf_free(&b);
    cg_buf_free(&words);
    return rc;
}

/* The end of a :20: block: its closing balance, and the opening balance plus its lines. */
static void stmt_end(struct fx_parsed *p, struct stmt *st)
{
    int64_t want;
    char a[64], b[64], c[64], d[64];
    struct prev_block prev;

    if (st->line == 0)
        return;
    if (!st->account)
        fx_problem(p, st->line, st->ref, "25", "the statement names no account");
    if (!st->opened && !st->bad) {
        fx_problem(p, st->line, st->ref, "60F", "the statement has no opening balance");
    } else if (!st->closed && !st->bad) {
        fx_problem(p, st->line, st->ref, "62F", "the statement has no closing balance");
    } else if (!st->bad) {
        if (__builtin_add_overflow(st->open, st->sum, &want) || want != st->close) {
            balance_text(st->open, st->cur, a, sizeof(a));
            fx_amount_format(st->sum < 0 ? -st->sum : st->sum, st->cur, b, sizeof(b));
            balance_text(want, st->cur, c, sizeof(c));
            balance_text(st->close, st->cur, d, sizeof(d));
            fx_problem(p, st->close_line, st->ref, st->intermediate ? "62M" : "62F",
                       "opening balance %s %s the lines' %s gives %s, the closing balance is %s", a,
                       st->sum < 0 ? "less" : "plus", b, c, d);
        }
    }
    memset(&prev, 0, sizeof(prev));
    if (st->closed && !st->bad && st->intermediate) {
        cg_strlcpy(prev.ref, st->ref, sizeof(prev.ref));
        cg_strlcpy(prev.cur, st->cur, sizeof(prev.cur));
        prev.close = st->close;
        prev.line = st->close_line;
    }
    memset(st, 0, sizeof(*st));
    st->prev = prev;
    cg_strlcpy(st->ref, "-", sizeof(st->ref));
    st->entry = -1;
}

/*
 * A field that is not text after decoding (core/csvread.h gave UTF-8 for UTF-8 and GB18030
 * files, with the bytes neither can read escaped) is reported on its line, the position counted
 * from the line's start as written (the tag included); the entry is the :61: line a :86:
 * follows, else the statement. The field is read all the same: the file is refused anyway.
 */
static void text_check(struct fx_parsed *p, const struct stmt *st, const struct field *f)
{
    const char *v = f->v.data != NULL ? f->v.data : "";
    unsigned byte = 0;
    size_t pos = 0, off = cg_text_invalid(v, f->v.len, &byte, &pos), from = 0, i;
    long line = f->line;

    if (off == f->v.len)
        return;
    for (i = 0; i < off; i++) {
        if (v[i] == '\n') {
            line++;
            from = i + 1;
        }
    }
    cg_text_invalid(v + from, f->v.len - from, &byte, &pos);
    if (from == 0)
        pos += strlen(f->tag) + 2;
    fx_problem(p, line, strcmp(f->tag, "86") == 0 && st->entry >= 0 ? p->e[st->entry].key : st->ref,
               f->tag, FX_NOT_TEXT, byte, pos);
}

static int field_end(struct fx_parsed *p, struct stmt *st, struct field *f)
{
    const char *t = f->tag;
    const char *v = f->v.data != NULL ? f->v.data : "";
    int rc = CG_OK;

    if (!f->open)
        return CG_OK;
    f->open = 0;
    text_check(p, st, f);
    if (strcmp(t, "20") == 0) {
        stmt_end(p, st);
        st->line = f->line;
        snprintf(st->ref, sizeof(st->ref), "%.*s", (int)strcspn(v, "\n"), v);
        if (st->ref[0] == '\0')
            fx_problem(p, f->line, NULL, "20", "the statement has no reference");
        if (p->stmt_id == NULL && (p->stmt_id = cg_strdup(st->ref)) == NULL)
            rc = CG_ENOMEM;
    } else if (st->line == 0) {
        fx_problem(p, f->line, NULL, t, "before the :20: field that starts a statement");
    } else if (strcmp(t, "25") == 0 || strcmp(t, "25P") == 0) {
        size_t n = strcspn(v, "\n");
        st->account = 1;
        if (p->account == NULL) {
            p->account = strndup(v, n);
            if (p->account == NULL)
                rc = CG_ENOMEM;
        } else if (strlen(p->account) != n || strncmp(p->account, v, n) != 0) {
            fx_problem(p, f->line, st->ref, t,
                       "account '%.*s' differs from '%s' of the file's first statement: one "
                       "account a file",
                       (int)n, v, p->account);
        }
    } else if (strcmp(t, "28C") == 0 || strcmp(t, "28") == 0) {
        snprintf(st->seq, sizeof(st->seq), "%.*s", (int)strcspn(v, "\n"), v);
    } else if (strcmp(t, "60F") == 0 || strcmp(t, "60M") == 0) {
        if (balance(p, st, f, st->cur, &st->open) != CG_OK) {
            st->bad = 1;
        } else if (strcmp(t, "60M") == 0 && st->prev.line != 0 &&
                   strcmp(st->prev.ref, st->ref) == 0 &&
                   (strcmp(st->prev.cur, st->cur) != 0 || st->prev.close != st->open)) {
            char a[64], b[64];
            balance_text(st->open, st->cur, a, sizeof(a));
            balance_text(st->prev.close, st->prev.cur, b, sizeof(b));
            fx_problem(p, f->line, st->ref, t,
                       "opening balance %s (%s) is not the closing balance %s (%s) of line %ld", a,
                       st->cur, b, st->prev.cur, st->prev.line);
            st->bad = 1;
        } else {
            st->opened = 1;
        }
    } else if (strcmp(t, "61") == 0) {
        st->entry = -1;
        if (!st->opened && !st->bad) {
            fx_problem(p, f->line, st->ref, "61", "a line before the opening balance (60F)");
            st->bad = 1;
        } else {
            long before = p->problems;
            rc = line61(p, st, f);
            /* a line whose amount is not known: the balance cannot be checked */
            st->bad |= p->problems > before && !st->counted;
        }
        return rc;
    } else if (strcmp(t, "86") == 0) {
        rc = info86(p, st, f);
    } else if (strcmp(t, "62F") == 0 || strcmp(t, "62M") == 0) {
        char cur[4];
        if (balance(p, st, f, cur, &st->close) != CG_OK) {
            st->bad = 1;
        } else if (st->cur[0] != '\0' && strcmp(cur, st->cur) != 0) {
            fx_problem(p, f->line, st->ref, t, "currency %s differs from the opening balance's %s",
                       cur, st->cur);
            st->bad = 1;
        } else {
            st->closed = 1;
            st->close_line = f->line;
            st->intermediate = strcmp(t, "62M") == 0;
        }
    } else if (strcmp(t, "21") != 0 && strcmp(t, "64") != 0 && strcmp(t, "65") != 0) {
        fx_problem(p, f->line, st->ref, t, "not a field of an MT940 statement");
    }
    st->entry = -1;
    return rc;
}

/* ":61:" or ":60F:" at the start of a line: the tag's length (2 or 3), else 0. */
static size_t tag_at(const char *s, size_t n)
{
    if (n >= 4 && s[0] == ':' && isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
        if (s[3] == ':')
            return 2;
        if (n >= 5 && isupper((unsigned char)s[3]) && s[4] == ':')
            return 3;
    }
    return 0;
}

/*
 * The key of each line without the bank's reference, from its content: the :61: field as
 * written (dates, mark, amount, type, the customer's reference, the supplementary details) and
 * the references and text its :86: added, as "noref-" and 32 hex digits of their SHA-256, then
 * "-N" for the N-th line of that content in the file. The same line in another download of the
 * account (overlapping days, another statement reference: many banks write the same :20:, such
 * as STARTUMSE, on every statement) has the same key; two equal lines of one day are two. Its
 * place in the statement stays as key_old, the key a cebgate from before recorded it under.
 */
static int by_content(const void *a, const void *b)
{
    const struct fx_entry *x = *(const struct fx_entry *const *)a;
    const struct fx_entry *y = *(const struct fx_entry *const *)b;
    int c = strcmp(x->content, y->content);

    return c != 0 ? c : (x < y ? -1 : x > y);
}

static int noref_keys(struct fx_parsed *p)
{
    struct fx_entry **by;
    size_t i, j, n;
    long k;

    for (i = 0; i < p->n; i++) {
        struct fx_entry *e = &p->e[i];
        struct cg_buf b;
        char hex[65];
        char *raw;
        size_t rlen;
        int rc;

        if (e->content == NULL)
            continue;
        cg_buf_init(&b, 1u << 18);
        rc = cg_buf_adds(&b, e->content);
        rc |= cg_buf_addc(&b, '\n');
        rc |= cg_buf_adds(&b, e->keyed_ref != NULL   ? e->keyed_ref
                              : e->reference != NULL ? e->reference
                                                     : "");
        if (rc != CG_OK) {
            cg_buf_free(&b);
            return CG_ENOMEM;
        }
        raw = NULL;
        rlen = 0;
        /* The bytes as the file had them: the key does not change with the decoding. */
        rc = p->from_gb18030 ? cg_text_to_gb18030(cg_buf_str(&b), b.len, &raw, &rlen) : CG_OK;
        if (rc == CG_ENOMEM) {
            cg_buf_free(&b);
            return CG_ENOMEM;
        }
        if (raw != NULL)
            cg_sha256_hex(raw, rlen, hex);
        else
            cg_sha256_hex(cg_buf_str(&b), b.len, hex);
        free(raw);
        cg_buf_free(&b);
        free(e->content);
        e->content = cg_strdup(hex);
        if (e->content == NULL)
            return CG_ENOMEM;
    }
    /* The lines of equal content numbered in file order: sorted by content, then by place. */
    for (i = n = 0; i < p->n; i++)
        n += p->e[i].content != NULL;
    if (n == 0)
        return CG_OK;
    if ((by = malloc(n * sizeof(*by))) == NULL)
        return CG_ENOMEM;
    for (i = j = 0; i < p->n; i++) {
        if (p->e[i].content != NULL)
            by[j++] = &p->e[i];
    }
    qsort(by, n, sizeof(*by), by_content);
    for (i = 0, k = 1; i < n; i++) {
        char key[64];

        k = i > 0 && strcmp(by[i - 1]->content, by[i]->content) == 0 ? k + 1 : 1;
        snprintf(key, sizeof(key), "noref-%.32s-%ld", by[i]->content, k);
        by[i]->key_old = by[i]->key;
        if ((by[i]->key = cg_strdup(key)) == NULL) {
            free(by);
            return CG_ENOMEM;
        }
    }
    fx_parsed_keys_changed(p);
    free(by);
    return CG_OK;
}

int fx_parse_mt940(struct fx_parsed *p, const char *data, size_t len, struct cg_err *err)
{
    struct stmt st;
    struct field f;
    size_t at = 0;
    long no = 0, block = 0;
    int rc = CG_OK;

    memset(&st, 0, sizeof(st));
    cg_strlcpy(st.ref, "-", sizeof(st.ref));
    st.entry = -1;
    memset(&f, 0, sizeof(f));
    cg_buf_init(&f.v, FIELD_MAX);
    p->kind = CG_STMT_MT940;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        at = 3;
    while (rc == CG_OK && at < len) {
        const char *s = data + at;
        const char *nl = memchr(s, '\n', len - at);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - at;
        size_t t;
        at += n + (nl != NULL);
        no++;
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if (memchr(s, '\0', n) != NULL || n > LINE_MAX_MT) {
            fx_problem(p, no, NULL, NULL, "%s", n > LINE_MAX_MT ? "line too long" : "a NUL byte");
            break;
        }
        if (s[0] == '{' && n > 0) { /* the SWIFT envelope: blocks 1 to 3, then "{4:" */
            const char *b4 = memmem(s, n, "{4:", 3);
            if (b4 == NULL)
                continue;
            block = no;
            n -= (size_t)(b4 + 3 - s);
            s = b4 + 3;
            if (n == 0)
                continue;
        }
        if (n > 0 && s[0] == '-') { /* end of block 4 ("-}") or of a message ("-") */
            rc = field_end(p, &st, &f);
            stmt_end(p, &st);
            if (block != 0 && (n < 2 || s[1] != '}'))
                fx_problem(p, no, NULL, NULL, "block 4 opened on line %ld ends without -}", block);
            block = 0;
            continue;
        }
        t = tag_at(s, n);
        if (t > 0) {
            rc = field_end(p, &st, &f);
            memcpy(f.tag, s + 1, t);
            f.tag[t] = '\0';
            f.line = no;
            f.open = 1;
            cg_buf_reset(&f.v);
            if (rc == CG_OK)
                rc = cg_buf_add(&f.v, s + t + 2, n - t - 2);
        } else if (n == 0) {
            continue;
        } else if (f.open && f.v.len + n + 1 > f.v.max) {
            fx_problem(p, no, NULL, f.tag, "the field is longer than %zu bytes", f.v.max);
            break;
        } else if (f.open) {
            rc = cg_buf_addc(&f.v, '\n');
            if (rc == CG_OK)
                rc = cg_buf_add(&f.v, s, n);
        } else {
            fx_problem(p, no, NULL, NULL, "'%.*s' is not in a field (:20:, :61:, ...)",
                       (int)(n < 20 ? n : 20), s);
        }
    }
    if (rc == CG_OK)
        rc = field_end(p, &st, &f);
    stmt_end(p, &st);
    if (rc == CG_OK && block != 0)
        fx_problem(p, block, NULL, NULL, "the SWIFT block 4 opened here is not closed with -}");
    if (rc == CG_OK && p->n == 0 && p->problems == 0 && p->stmt_id == NULL)
        fx_problem(p, 1, NULL, "20", "no statement in the file");
    if (rc == CG_OK)
        rc = noref_keys(p);
    cg_buf_free(&f.v);
    if (rc == CG_ENOMEM)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return rc;
}
