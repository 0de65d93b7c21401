/*
 * settle-charge.c - the charge words: the words of [settle] charge_words that make an outgoing
 * bank entry the bank has not coded as its charge (an NMSC line, a camt entry without BkTxCd)
 * count as the bank's own charge when it names no order (docs/collections-format.md).
 *
 * A list is parsed once per import (and checked when the settle context is made, so that a
 * malformed word is a configuration error, not a surprise at import). Latin words match whole
 * words of the text, whatever the case and the accents of Latin-1 letters (an umlaut is the same
 * as its spelling with E: Ü as UE): "FEE" matches "HANDLING FEE" but not "COFFEE" or
 * "FEEDBACK"; a '*' at either end lets the text word go on there, for German compounds
 * ("*ENTGELT" matches "Kontoführungsentgelt"). A word without Latin letters (手续费) matches
 * anywhere in the text, as Chinese is written without spaces. The list owns copies of its words;
 * it fails only for lack of memory.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "settle/settle-int.h"

enum { W_EXACT, W_PREFIX, W_SUFFIX, W_INFIX, W_ANYWHERE };

struct fx_word {
    char *as_written; /* the list's word, for messages */
    char *folded;     /* upper case, without the '*' */
    int how;
};

struct fx_words {
    struct fx_word *w;
    size_t n;
};

/*
 * The length of the Latin word character at s (an ASCII letter or digit, or a letter of U+00C0 to
 * U+024F in UTF-8 but for × and ÷), 0 when s is none.
 */
static size_t latin_char(const unsigned char *s)
{
    if ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
        (s[0] >= '0' && s[0] <= '9'))
        return 1;
    if (s[0] >= 0xC3 && s[0] <= 0xC9 && (s[1] & 0xC0) == 0x80 &&
        !(s[0] == 0xC3 && (s[1] == 0x97 || s[1] == 0xB7)))
        return 2;
    return 0;
}

/* The length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const unsigned char *s)
{
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    size_t i;

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 1;
    }
    return n;
}

/*
 * The ASCII a letter of Latin-1 (U+00C0 to U+00FF, UTF-8 C3 80 to C3 BF) is written with when
 * accents are dropped: the German umlauts and ß as their spellings without them (Ä AE, Ö OE,
 * Ü UE, ß SS), so that "GEBÜHR" and "GEBUEHR" are one word; NULL for × and ÷.
 */
static const char *const latin1[64] = {
    "A", "A", "A", "A", "AE", "A", "AE", "C",  "E", "E", "E", "E", "I",  "I", "I",  "I",
    "D", "N", "O", "O", "O",  "O", "OE", NULL, "O", "U", "U", "U", "UE", "Y", "TH", "SS",
    "A", "A", "A", "A", "AE", "A", "AE", "C",  "E", "E", "E", "E", "I",  "I", "I",  "I",
    "D", "N", "O", "O", "O",  "O", "OE", NULL, "O", "U", "U", "U", "UE", "Y", "TH", "Y",
};

/*
 * A copy of s[0..n) in upper case without accents: ASCII letters, and the letters of Latin-1 as
 * latin1 spells them. It is never longer than s (each of those letters takes two bytes).
 */
static char *fold(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i, k = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned char d = i + 1 < n ? (unsigned char)s[i + 1] : 0;
        if (c == 0xC3 && d >= 0x80 && d <= 0xBF && latin1[d - 0x80] != NULL) {
            const char *a = latin1[d - 0x80];
            memcpy(out + k, a, strlen(a));
            k += strlen(a);
            i++;
        } else {
            out[k++] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
    }
    out[k] = '\0';
    return out;
}

void fx_words_free(struct fx_words *w)
{
    size_t i;

    if (w == NULL)
        return;
    for (i = 0; i < w->n; i++) {
        free(w->w[i].as_written);
        free(w->w[i].folded);
    }
    free(w->w);
    free(w);
}

/* One word of the list, s[0..n): how it matches, or CG_EINVAL with why. */
static int word_add(struct fx_words *w, const char *s, size_t n, struct cg_err *err)
{
    const char *core = s;
    size_t len = n, i, latin = 0, other = 0;
    int lead = 0, trail = 0;
    struct fx_word *p;

    if (len > 0 && core[0] == '*') {
        lead = 1;
        core++;
        len--;
    }
    if (len > 0 && core[len - 1] == '*') {
        trail = 1;
        len--;
    }
    for (i = 0; i < len;) {
        size_t k = latin_char((const unsigned char *)core + i);
        if (core[i] == '*')
            return CG_ERR_SET(err, CG_EINVAL, "'%.*s': '*' may only begin or end a word", (int)n,
                              s);
        if (k > 0)
            latin++;
        else
            other++;
        i += k > 0 ? k : char_len((const unsigned char *)core + i);
    }
    if (len == 0)
        return CG_ERR_SET(err, CG_EINVAL, "'%.*s' has nothing but '*'", (int)n, s);
    if (latin > 0 && other > 0)
        return CG_ERR_SET(err, CG_EINVAL,
                          "'%.*s' is neither one Latin word (letters and digits) nor a word "
                          "without Latin letters",
                          (int)n, s);
    if (other > 0 && (lead || trail))
        return CG_ERR_SET(err, CG_EINVAL,
                          "'%.*s': a word without Latin letters matches anywhere in the text, "
                          "'*' is for Latin words",
                          (int)n, s);
    p = realloc(w->w, (w->n + 1) * sizeof(*p));
    if (p == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    w->w = p;
    p = &w->w[w->n];
    p->as_written = strndup(s, n);
    p->folded = fold(core, len);
    p->how = other > 0       ? W_ANYWHERE
             : lead && trail ? W_INFIX
             : lead          ? W_SUFFIX
             : trail         ? W_PREFIX
                             : W_EXACT;
    w->n++;
    if (p->as_written == NULL || p->folded == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    return CG_OK;
}

int fx_words_parse(const char *text, struct fx_words **out, struct cg_err *err)
{
    struct fx_words *w = calloc(1, sizeof(*w));
    const char *s = text != NULL ? text : "";
    int rc = CG_OK;

    if (w == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    while (rc == CG_OK && *s != '\0') {
        size_t n;
        s += strspn(s, " \t,");
        n = strcspn(s, " \t,");
        if (n > 0)
            rc = word_add(w, s, n, err);
        s += n;
    }
    if (rc != CG_OK) {
        fx_words_free(w);
        return rc;
    }
    *out = w;
    return CG_OK;
}

/* Whether the text word t[0..n) (folded) is matched by list word w. */
static int word_matches(const struct fx_word *w, const char *t, size_t n)
{
    size_t k = strlen(w->folded);

    if (k > n)
        return 0;
    switch (w->how) {
    case W_EXACT: return k == n && memcmp(t, w->folded, k) == 0;
    case W_PREFIX: return memcmp(t, w->folded, k) == 0;
    case W_SUFFIX: return memcmp(t + n - k, w->folded, k) == 0;
    default: {
        size_t i;
        for (i = 0; i + k <= n; i++) {
            if (memcmp(t + i, w->folded, k) == 0)
                return 1;
        }
        return 0;
    }
    }
}

int fx_words_find(const struct fx_words *w, const char *text, const char **found)
{
    char *t;
    size_t i, j;

    *found = NULL;
    if (w == NULL || w->n == 0 || text == NULL || text[0] == '\0')
        return CG_OK;
    t = fold(text, strlen(text));
    if (t == NULL)
        return CG_ENOMEM;
    for (j = 0; j < w->n && *found == NULL; j++) {
        const unsigned char *u = (const unsigned char *)t;
        if (w->w[j].how == W_ANYWHERE) {
            if (strstr(t, w->w[j].folded) != NULL)
                *found = w->w[j].as_written;
            continue;
        }
        for (i = 0; u[i] != '\0' && *found == NULL;) {
            size_t start = i, k;
            while ((k = latin_char(u + i)) > 0)
                i += k;
            if (i > start && word_matches(&w->w[j], t + start, i - start))
                *found = w->w[j].as_written;
            if (i == start)
                i += char_len(u + i);
        }
    }
    free(t);
    return CG_OK;
}
