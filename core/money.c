/*
 * money.c - fixed-point decimals (5 fraction digits) and currency amounts in minor units.
 *
 * All arithmetic is integer; products and quotients go through __int128 so the intermediate
 * never overflows, and every result is range-checked into int64. Rounding is half-up (half
 * away from zero), as docs/money.md says. Nothing allocates.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "core/money.h"

static const int64_t pow10_tab[] = {1, 10, 100, 1000, 10000, 100000};

static int parse_dec(const char *s, bool round_extra, int64_t *out)
{
    bool neg = false;
    bool any = false;
    bool round_up = false;
    unsigned __int128 mag = 0;
    int frac = 0;
    const unsigned __int128 limit = (unsigned __int128)INT64_MAX;

    if (s == NULL || *s == '\0')
        return CG_EINVAL;
    if (*s == '+' || *s == '-') {
        neg = *s == '-';
        s++;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        any = true;
        mag = mag * 10 + (unsigned)(*s - '0');
        if (mag * CG_DEC_ONE > limit)
            return CG_ERANGE;
    }
    mag *= CG_DEC_ONE;
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++) {
            any = true;
            if (frac < CG_DEC_FRAC) {
                mag += (unsigned __int128)(*s - '0') * (unsigned)pow10_tab[CG_DEC_FRAC - 1 - frac];
            } else if (frac == CG_DEC_FRAC) {
                if (*s != '0' && !round_extra)
                    return CG_ERANGE;
                round_up = *s >= '5';
            } else if (*s != '0' && !round_extra) {
                return CG_ERANGE;
            }
            frac++;
        }
    }
    if (!any || *s != '\0')
        return CG_EINVAL;
    if (round_up)
        mag += 1;
    if (mag > limit)
        return CG_ERANGE;
    *out = neg ? -(int64_t)mag : (int64_t)mag;
    return CG_OK;
}

int cg_dec_parse(const char *s, int64_t *out)
{
    return parse_dec(s, false, out);
}

int cg_dec_parse_round(const char *s, int64_t *out)
{
    return parse_dec(s, true, out);
}

const char *cg_dec_why(const char *s)
{
    static const char *const signs[] = {"$", "\xe2\x82\xac", "\xc2\xa3", "\xc2\xa5",
                                        "\xef\xbf\xa5"};
    const char *p;
    size_t i;

    if (s == NULL)
        return "";
    for (p = s; *p == ' ' || *p == '-' || *p == '+'; p++)
        ;
    for (i = 0; i < sizeof(signs) / sizeof(signs[0]); i++) {
        if (strncmp(p, signs[i], strlen(signs[i])) == 0)
            return " (no currency sign: the currency has its own column)";
    }
    if (strchr(s, ',') != NULL)
        return " (a number has no ',': no thousands separators, and a point before the decimals: "
               "1024.50)";
    if ((strchr(s, 'E') != NULL || strchr(s, 'e') != NULL) && strpbrk(s, "0123456789") != NULL)
        return " (no exponent: the spreadsheet wrote the number in scientific notation; format "
               "the column as a number with its decimals, or as text, before saving)";
    return "";
}

size_t cg_dec_put(int64_t v, int min_frac, char *out)
{
    unsigned long long mag =
        v < 0 ? (unsigned long long)0 - (unsigned long long)v : (unsigned long long)v;
    unsigned long long ip = mag / CG_DEC_ONE;
    unsigned long long fp = mag % CG_DEC_ONE;
    unsigned long long t;
    /* The length is counted first, then the digits are written backwards from the end: sign,
     * integer part, point, fraction. Plain arithmetic, no printf and no copy: this runs for
     * every amount of every order. */
    int nfrac = CG_DEC_FRAC;
    size_t n;
    char *p;
    int i;

    if (min_frac < 0)
        min_frac = 0;
    if (min_frac > CG_DEC_FRAC)
        min_frac = CG_DEC_FRAC;
    while (nfrac > min_frac && fp % 10 == 0) {
        fp /= 10;
        nfrac--;
    }
    n = v < 0 ? 2 : 1;
    for (t = ip / 10; t != 0; t /= 10)
        n++;
    if (nfrac > 0)
        n += 1 + (size_t)nfrac;
    p = out + n;
    for (i = 0; i < nfrac; i++) {
        *--p = (char)('0' + fp % 10);
        fp /= 10;
    }
    if (nfrac > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip != 0);
    if (v < 0)
        *--p = '-';
    return n;
}

int cg_dec_format(int64_t v, int min_frac, char *buf, size_t size)
{
    char tmp[CG_DEC_STRMAX];
    size_t n;

    if (size >= CG_DEC_STRMAX) {
        n = cg_dec_put(v, min_frac, buf);
        buf[n] = '\0';
        return CG_OK;
    }
    n = cg_dec_put(v, min_frac, tmp);
    if (n >= size) {
        if (size > 0) {
            memcpy(buf, tmp, size - 1);
            buf[size - 1] = '\0';
        }
        return CG_ERANGE;
    }
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return CG_OK;
}

static int fit(__int128 v, int64_t *out)
{
    if (v > INT64_MAX || v < -(__int128)INT64_MAX)
        return CG_ERANGE;
    *out = (int64_t)v;
    return CG_OK;
}

int cg_dec_add(int64_t a, int64_t b, int64_t *out)
{
    return fit((__int128)a + b, out);
}

int cg_dec_sub(int64_t a, int64_t b, int64_t *out)
{
    return fit((__int128)a - b, out);
}

/* n / d rounded half away from zero; d > 0. */
static __int128 div_half_up(__int128 n, __int128 d)
{
    __int128 q = n / d;
    __int128 r = n % d;

    if (r < 0)
        r = -r;
    if (2 * r >= d)
        q += n < 0 ? -1 : 1;
    return q;
}

int cg_dec_mul(int64_t a, int64_t b, int64_t *out)
{
    return fit(div_half_up((__int128)a * b, CG_DEC_ONE), out);
}

int cg_dec_div(int64_t a, int64_t b, int64_t *out)
{
    __int128 n = (__int128)a * CG_DEC_ONE;

    if (b == 0)
        return CG_EINVAL;
    if (b < 0) {
        n = -n;
        b = -b;
    }
    return fit(div_half_up(n, b), out);
}

int cg_dec_round(int64_t v, int digits, int64_t *out)
{
    int64_t unit;

    if (digits < 0 || digits > CG_DEC_FRAC)
        return CG_EINVAL;
    unit = pow10_tab[CG_DEC_FRAC - digits];
    return fit(div_half_up(v, unit) * unit, out);
}

int cg_dec_scale(int64_t v)
{
    int s = CG_DEC_FRAC;

    while (s > 0 && v % 10 == 0) {
        v /= 10;
        s--;
    }
    return s;
}

/*
 * ISO 4217 active codes with their minor-unit exponent (list of 2024 from the ISO 4217
 * maintenance agency tables; funds codes and precious metals left out).
 */
static const char iso4217[] =
    "AED2AFN2ALL2AMD2ANG2AOA2ARS2AUD2AWG2AZN2BAM2BBD2BDT2BGN2BHD3BIF0BMD2BND2BOB2BRL2BSD2BTN2"
    "BWP2BYN2BZD2CAD2CDF2CHF2CLP0CNY2COP2CRC2CUP2CVE2CZK2DJF0DKK2DOP2DZD2EGP2ERN2ETB2EUR2FJD2"
    "FKP2GBP2GEL2GHS2GIP2GMD2GNF0GTQ2GYD2HKD2HNL2HTG2HUF2IDR2ILS2INR2IQD3IRR2ISK0JMD2JOD3JPY0"
    "KES2KGS2KHR2KMF0KPW2KRW0KWD3KYD2KZT2LAK2LBP2LKR2LRD2LSL2LYD3MAD2MDL2MGA2MKD2MMK2MNT2MOP2"
    "MRU2MUR2MVR2MWK2MXN2MYR2MZN2NAD2NGN2NIO2NOK2NPR2NZD2OMR3PAB2PEN2PGK2PHP2PKR2PLN2PYG0QAR2"
    "RON2RSD2RUB2RWF0SAR2SBD2SCR2SDG2SEK2SGD2SHP2SLE2SOS2SRD2SSP2STN2SVC2SYP2SZL2THB2TJS2TMT2"
    "TND3TOP2TRY2TTD2TWD2TZS2UAH2UGX0USD2UYU2UZS2VES2VND0VUV0WST2XAF0XCD2XOF0XPF0YER2ZAR2ZMW2"
    "ZWL2";

int cg_money_exponent(const char *cur, int *exp)
{
    size_t i;

    if (cur == NULL || strlen(cur) != 3)
        return CG_ENOTFOUND;
    for (i = 0; iso4217[i] != '\0'; i += 4) {
        if (memcmp(iso4217 + i, cur, 3) == 0) {
            *exp = iso4217[i + 3] - '0';
            return CG_OK;
        }
    }
    return CG_ENOTFOUND;
}

int cg_money_parse(const char *s, const char *cur, struct cg_money *out)
{
    int64_t dec;
    int exp;
    int rc;

    rc = cg_money_exponent(cur, &exp);
    if (rc != CG_OK)
        return rc;
    rc = cg_dec_parse(s, &dec);
    if (rc != CG_OK)
        return rc;
    if (cg_dec_scale(dec) > exp)
        return CG_ERANGE;
    out->minor = dec / pow10_tab[CG_DEC_FRAC - exp];
    memcpy(out->cur, cur, 3);
    out->cur[3] = '\0';
    return CG_OK;
}

int cg_money_format(const struct cg_money *m, char *buf, size_t size)
{
    int64_t dec;
    int exp;
    int rc;

    rc = cg_money_exponent(m->cur, &exp);
    if (rc != CG_OK)
        return rc;
    rc = cg_money_to_dec(m, &dec);
    if (rc != CG_OK)
        return rc;
    return cg_dec_format(dec, exp, buf, size);
}

int cg_money_from_dec(int64_t dec, const char *cur, struct cg_money *out)
{
    int64_t r;
    int exp;
    int rc;

    rc = cg_money_exponent(cur, &exp);
    if (rc != CG_OK)
        return rc;
    rc = cg_dec_round(dec, exp, &r);
    if (rc != CG_OK)
        return rc;
    out->minor = r / pow10_tab[CG_DEC_FRAC - exp];
    memcpy(out->cur, cur, 3);
    out->cur[3] = '\0';
    return CG_OK;
}

int cg_money_to_dec(const struct cg_money *m, int64_t *out)
{
    int exp;
    int rc;

    rc = cg_money_exponent(m->cur, &exp);
    if (rc != CG_OK)
        return rc;
    return fit((__int128)m->minor * pow10_tab[CG_DEC_FRAC - exp], out);
}
