/*
 * spool-kind.c - the kind of an order's rejection, by which the run summary and the morning
 * report group like rejections ("70 unknown SKUs" is one reason counted 70 times).
 *
 * A pure function over caller-owned buffers: nothing is allocated and nothing can fail. Only
 * the variable parts of a reason are masked, never the digits of its fixed wording: a format
 * ("ISO 8601"), a field's type ("N19,5") or an example ("1024.50") stays as written.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "spool/spool.h"

/*
 * Words after which the readers and validators write a value as a bare number: "on line 7",
 * "lines 3 and 5", "at position 12", "item 2", "order 5", "is 81 characters", "a length of 51",
 * "given total 10.00", "order value 12", "the lines sum to 9", "= 12.00", "net weight 1.2 kg",
 * "qty 3", "legal unit 011", "the tolerance 0.05". A number after any other word is fixed
 * wording.
 */
static const char *const value_words[] = {
    "line",  "lines",  "and", "position", "item", "order",     "is",     "of", "total",
    "value", "weight", "qty", "unit",     "=",    "tolerance", "sum to", NULL};

/* Whether the text before p (from start) ends with word and a space, the word standing alone. */
static bool after_word(const char *start, const char *p, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(p - start) < n + 1 || p[-1] != ' ')
        return false;
    p -= n + 1;
    return strncmp(p, word, n) == 0 && (p == start || !isalnum((unsigned char)p[-1]));
}

static bool value_number(const char *start, const char *p)
{
    size_t i;

    for (i = 0; value_words[i] != NULL; i++) {
        if (after_word(start, p, value_words[i]))
            return true;
    }
    return false;
}

void cg_spool_reason_kind(const char *msg, char *out, size_t size)
{
    const char *p = strstr(msg, ": order ");
    const char *q, *start;
    size_t k = 0;
    int depth = 0;

    if (p != NULL && (q = strstr(p + 8, ": ")) != NULL)
        p = q + 2;
    else
        p = msg;
    start = p;
    while (*p != '\0' && k + 6 < size) {
        char prev = p > start ? p[-1] : ' ';
        /* A parenthesised explanation of the rule is fixed wording, quotes and digits too. */
        if (*p == '(' || (*p == ')' && depth > 0)) {
            depth += *p == '(' ? 1 : -1;
            out[k++] = *p++;
            continue;
        }
        if (depth > 0) {
            out[k++] = *p++;
            continue;
        }
        /* A quoted value; an apostrophe inside a word ("the file's") quotes nothing. */
        if (*p == '\'' && !isalnum((unsigned char)prev) && (q = strchr(p + 1, '\'')) != NULL) {
            memcpy(out + k, "'\xe2\x80\xa6'", 5);
            k += 5;
            p = q + 1;
            continue;
        }
        /* A hexadecimal code: a byte 0xE9, a character U+001B. */
        if (!isalnum((unsigned char)prev) &&
            ((*p == '0' && p[1] == 'x' && isxdigit((unsigned char)p[2])) ||
             (prev == '+' && p - start >= 2 && p[-2] == 'U' && isxdigit((unsigned char)*p)))) {
            q = *p == '0' && p[1] == 'x' ? p + 2 : p;
            while (isxdigit((unsigned char)*q))
                q++;
            if (!isalnum((unsigned char)*q)) {
                if (*p == '0' && p[1] == 'x')
                    out[k++] = '0', out[k++] = 'x';
                out[k++] = 'N';
                p = q;
                continue;
            }
        }
        /* A number standing alone where the reason gives a value. */
        if ((isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) &&
            value_number(start, p)) {
            q = *p == '-' ? p + 1 : p;
            while (isdigit((unsigned char)*q) || (*q == '.' && isdigit((unsigned char)q[1])))
                q++;
            if (!isalnum((unsigned char)*q)) {
                out[k++] = 'N';
                p = q;
                continue;
            }
        }
        out[k++] = *p++;
    }
    out[k] = '\0';
}
