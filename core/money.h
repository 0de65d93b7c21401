/*
 * money.h - exact amounts and quantities; no floating point anywhere.
 *
 * Two representations:
 *  - a "dec": int64_t fixed-point with 5 fraction digits (value * 10^5). CEB decimals are
 *    xs:decimal N19,5, so prices, quantities, weights and totals in messages are decs. The
 *    int64 range gives 13 integer digits (up to 92,233,720,368,547.75807); a larger value is
 *    refused with CG_ERANGE rather than silently wrapped.
 *  - a struct cg_money: int64_t minor units of a currency (cents, fen, yen) with the ISO 4217
 *    letters beside it, for ledgers where the currency's own exponent rules.
 *
 * Rounding (see docs/money.md): every rounding in cebgate is "half-up", meaning half away
 * from zero: 0.005 -> 0.01 and -0.005 -> -0.01 at two digits. Arithmetic checks overflow and
 * returns CG_ERANGE instead of wrapping.
 */
#ifndef CG_MONEY_H
#define CG_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define CG_DEC_FRAC 5
#define CG_DEC_ONE INT64_C(100000)
/* Longest text a dec formats to: sign, 14 digits, point, 5 digits, NUL. */
#define CG_DEC_STRMAX 32

/*
 * Parse a plain decimal ("12", "-0.5", "+3.14159", ".5", "7.") into a dec. More than 5
 * fraction digits is CG_ERANGE unless they are all zero; exponents, spaces, thousands
 * separators and empty strings are CG_EINVAL.
 */
int cg_dec_parse(const char *s, int64_t *out);
/* As cg_dec_parse, but extra fraction digits are rounded half-up instead of refused. */
int cg_dec_parse_round(const char *s, int64_t *out);
/*
 * Why a text cg_dec_parse refuses is no plain decimal, when a spreadsheet or shop export made it
 * so: " (no thousands separators)" for "1,024.00", " (no exponent: ...)" for "1.5E+3", " (no
 * currency sign)" for "$24.00"; "" otherwise. Static text, to append to an error.
 */
const char *cg_dec_why(const char *s);
/*
 * Write v with at least min_frac and at most 5 fraction digits (trailing zeros beyond
 * min_frac dropped). Returns CG_ERANGE if buf is too small.
 */
int cg_dec_format(int64_t v, int min_frac, char *buf, size_t size);
/* The same text written to out, which has room for CG_DEC_STRMAX - 1 bytes, without a NUL;
 * returns its length. */
size_t cg_dec_put(int64_t v, int min_frac, char *out);
int cg_dec_add(int64_t a, int64_t b, int64_t *out);
int cg_dec_sub(int64_t a, int64_t b, int64_t *out);
/* a * b for two decs, rounded half-up to 5 fraction digits. */
int cg_dec_mul(int64_t a, int64_t b, int64_t *out);
/* a / b for two decs, rounded half-up to 5 fraction digits; b == 0 is CG_EINVAL. */
int cg_dec_div(int64_t a, int64_t b, int64_t *out);
/* Round v to `digits` fraction digits (0..5), half-up. */
int cg_dec_round(int64_t v, int digits, int64_t *out);
/* Number of fraction digits actually used by v (0..5). */
int cg_dec_scale(int64_t v);

struct cg_money {
    int64_t minor; /* amount in minor units of cur */
    char cur[4];   /* ISO 4217 letters, NUL-terminated */
};

/* ISO 4217 minor-unit exponent (JPY 0, USD 2, KWD 3); unknown letters are CG_ENOTFOUND. */
int cg_money_exponent(const char *cur, int *exp);
/* Parse "12.34" in currency cur; more fraction digits than the exponent is CG_ERANGE. */
int cg_money_parse(const char *s, const char *cur, struct cg_money *out);
/* Format as a plain decimal with exactly the currency's exponent digits. */
int cg_money_format(const struct cg_money *m, char *buf, size_t size);
/* Convert a dec to minor units of cur, rounding half-up to the currency's exponent. */
int cg_money_from_dec(int64_t dec, const char *cur, struct cg_money *out);
/* Convert minor units back to a dec (exact). */
int cg_money_to_dec(const struct cg_money *m, int64_t *out);

#endif
