/*
 * test-money.c - exact decimals and currency amounts: parse, format, round, overflow.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/money.h"

static int64_t dec(const char *s)
{
    int64_t v = 0;
    assert_int_equal(cg_dec_parse(s, &v), CG_OK);
    return v;
}

static void fmt_is(int64_t v, int min_frac, const char *want)
{
    char buf[CG_DEC_STRMAX];
    assert_int_equal(cg_dec_format(v, min_frac, buf, sizeof(buf)), CG_OK);
    assert_string_equal(buf, want);
}

static void test_parse_plain(void **state)
{
    int64_t v;

    assert_int_equal(dec("0"), 0);
    assert_int_equal(dec("12"), 1200000);
    assert_int_equal(dec("12.5"), 1250000);
    assert_int_equal(dec("-0.5"), -50000);
    assert_int_equal(dec("+3.14159"), 314159);
    assert_int_equal(dec(".5"), 50000);
    assert_int_equal(dec("7."), 700000);
    assert_int_equal(dec("0.00001"), 1);
    assert_int_equal(dec("1.500000"), 150000); /* extra zeros are exact */
    assert_int_equal(cg_dec_parse("", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse("-", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse(".", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse("1e5", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse("1,000", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse(" 1", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse("1.2.3", &v), CG_EINVAL);
    assert_int_equal(cg_dec_parse(NULL, &v), CG_EINVAL);
}

static void test_five_fraction_digits(void **state)
{
    int64_t v = 42;

    /* CEB decimals carry at most 5 fraction digits: a sixth is refused, not dropped. */
    assert_int_equal(dec("0.12345"), 12345);
    assert_int_equal(cg_dec_parse("0.123456", &v), CG_ERANGE);
    assert_int_equal(v, 42);
    assert_int_equal(cg_dec_parse_round("0.123455", &v), CG_OK);
    assert_int_equal(v, 12346);
    assert_int_equal(cg_dec_parse_round("0.123454999", &v), CG_OK);
    assert_int_equal(v, 12345);
    assert_int_equal(cg_dec_parse_round("-0.123455", &v), CG_OK);
    assert_int_equal(v, -12346);
}

static void test_big_values(void **state)
{
    int64_t v;

    /* 18 digits in all, 13 before the point: the largest magnitude that fits. */
    assert_int_equal(cg_dec_parse("92233720368547.75807", &v), CG_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(cg_dec_parse("-92233720368547.75807", &v), CG_OK);
    assert_true(v == -INT64_MAX);
    /* 19 digits (N19,5 at its widest) do not fit int64 at 5 decimals: refused. */
    assert_int_equal(cg_dec_parse("99999999999999.99999", &v), CG_ERANGE);
    assert_int_equal(cg_dec_parse("92233720368547.75808", &v), CG_ERANGE);
    assert_int_equal(cg_dec_parse("9999999999999999999", &v), CG_ERANGE);
    assert_int_equal(cg_dec_parse("123456789012345678901234567890", &v), CG_ERANGE);
    fmt_is(INT64_MAX, 0, "92233720368547.75807");
    fmt_is(-INT64_MAX, 2, "-92233720368547.75807");
}

static void test_format(void **state)
{
    char small[4];

    fmt_is(0, 0, "0");
    fmt_is(0, 2, "0.00");
    fmt_is(1250000, 2, "12.50");
    fmt_is(1250000, 0, "12.5");
    fmt_is(-1, 0, "-0.00001");
    fmt_is(12345, 5, "0.12345");
    fmt_is(100000, 5, "1.00000");
    assert_int_equal(cg_dec_format(1234567, 2, small, sizeof(small)), CG_ERANGE);
}

/* What a spreadsheet made of a number: each refused, and the hint names why. */
static void test_dec_why(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(cg_dec_parse("1,024.00", &v), CG_EINVAL);
    assert_non_null(strstr(cg_dec_why("1,024.00"), "no thousands separators"));
    assert_non_null(strstr(cg_dec_why("24,50"), "no thousands separators"));
    assert_int_equal(cg_dec_parse("1.50214E+13", &v), CG_EINVAL);
    assert_non_null(strstr(cg_dec_why("1.50214E+13"), "scientific notation"));
    assert_non_null(strstr(cg_dec_why("2e3"), "scientific notation"));
    assert_int_equal(cg_dec_parse("$24.00", &v), CG_EINVAL);
    assert_non_null(strstr(cg_dec_why("$24.00"), "no currency sign"));
    assert_non_null(strstr(cg_dec_why("\xe2\x82\xac"
                                      "9.90"),
                           "no currency sign"));
    assert_non_null(strstr(cg_dec_why("-\xc2\xa5"
                                      "100"),
                           "no currency sign"));
    assert_string_equal(cg_dec_why("abc"), "");
    assert_string_equal(cg_dec_why("E"), "");
    assert_string_equal(cg_dec_why(""), "");
    assert_string_equal(cg_dec_why(NULL), "");
}

/* Every value against the same text written by printf, at each minimum of fraction digits. */
static void test_format_matches_printf(void **state)
{
    static const int64_t edge[] = {
        0,      1,       -1,        9,         10,         99999,         100000,
        100001, -100000, 123456789, INT64_MAX, -INT64_MAX, INT64_MAX / 7, -(INT64_MAX / 3)};
    uint64_t x = 88172645463325252ULL;
    size_t i;
    int k;

    for (i = 0; i < 20000; i++) {
        int64_t v;

        if (i < sizeof(edge) / sizeof(edge[0])) {
            v = edge[i];
        } else {
            x ^= x << 13; /* xorshift64: reproducible values of every size */
            x ^= x >> 7;
            x ^= x << 17;
            v = (int64_t)(x >> (i % 60));
            if (i % 2 == 1)
                v = -v;
        }
        for (k = 0; k <= CG_DEC_FRAC; k++) {
            unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            char want[64], got[CG_DEC_STRMAX];
            int n = snprintf(want, sizeof(want), "%s%llu.%05llu", v < 0 ? "-" : "", mag / 100000ULL,
                             mag % 100000ULL);

            while (n > 0 && want[n - 1] == '0' && n - 1 - (int)(strchr(want, '.') - want) > k)
                want[--n] = '\0';
            if (want[n - 1] == '.')
                want[--n] = '\0';
            assert_int_equal(cg_dec_format(v, k, got, sizeof(got)), CG_OK);
            assert_string_equal(got, want);
            memset(got, 'x', sizeof(got));
            assert_int_equal(cg_dec_put(v, k, got), (size_t)n);
            assert_memory_equal(got, want, (size_t)n);
            assert_int_equal(got[n], 'x'); /* nothing written past the text */
            /* A buffer one byte short: CG_ERANGE and the text cut, NUL-terminated. */
            assert_int_equal(cg_dec_format(v, k, got, (size_t)n), CG_ERANGE);
            assert_int_equal(strlen(got), (size_t)n - 1);
            assert_memory_equal(got, want, (size_t)n - 1);
        }
    }
}

static void test_round_half_up(void **state)
{
    int64_t v;

    assert_int_equal(cg_dec_round(dec("0.005"), 2, &v), CG_OK);
    assert_int_equal(v, dec("0.01"));
    assert_int_equal(cg_dec_round(dec("0.00499"), 2, &v), CG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cg_dec_round(dec("-0.005"), 2, &v), CG_OK);
    assert_int_equal(v, dec("-0.01"));
    assert_int_equal(cg_dec_round(dec("2.5"), 0, &v), CG_OK);
    assert_int_equal(v, dec("3"));
    assert_int_equal(cg_dec_round(dec("-2.5"), 0, &v), CG_OK);
    assert_int_equal(v, dec("-3"));
    assert_int_equal(cg_dec_round(dec("1.23456"), 5, &v), CG_OK);
    assert_int_equal(v, dec("1.23456"));
    assert_int_equal(cg_dec_round(dec("1"), 6, &v), CG_EINVAL);
    assert_int_equal(cg_dec_round(INT64_MAX, 0, &v), CG_ERANGE);
}

static void test_arith(void **state)
{
    int64_t v;

    /* qty 3 x price 19.99 = 59.97 exactly. */
    assert_int_equal(cg_dec_mul(dec("3"), dec("19.99"), &v), CG_OK);
    assert_int_equal(v, dec("59.97"));
    /* 0.33333 x 0.00015 = 0.0000499995 -> 0.00005 (half-up at the 5th digit). */
    assert_int_equal(cg_dec_mul(dec("0.33333"), dec("0.00015"), &v), CG_OK);
    assert_int_equal(v, 5);
    assert_int_equal(cg_dec_mul(dec("-0.33333"), dec("0.00015"), &v), CG_OK);
    assert_int_equal(v, -5);
    assert_int_equal(cg_dec_mul(dec("0.1"), dec("0.00004"), &v), CG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(cg_dec_mul(dec("10000000000"), dec("10000"), &v), CG_ERANGE);
    assert_int_equal(cg_dec_div(dec("10"), dec("3"), &v), CG_OK);
    assert_int_equal(v, dec("3.33333"));
    assert_int_equal(cg_dec_div(dec("20"), dec("3"), &v), CG_OK);
    assert_int_equal(v, dec("6.66667"));
    assert_int_equal(cg_dec_div(dec("-20"), dec("3"), &v), CG_OK);
    assert_int_equal(v, dec("-6.66667"));
    assert_int_equal(cg_dec_div(dec("1"), 0, &v), CG_EINVAL);
    assert_int_equal(cg_dec_add(INT64_MAX, 1, &v), CG_ERANGE);
    assert_int_equal(cg_dec_sub(-INT64_MAX, 1, &v), CG_ERANGE);
    assert_int_equal(cg_dec_add(dec("0.1"), dec("0.2"), &v), CG_OK);
    assert_int_equal(v, dec("0.3"));
    assert_int_equal(cg_dec_scale(dec("1.5")), 1);
    assert_int_equal(cg_dec_scale(dec("1.00001")), 5);
    assert_int_equal(cg_dec_scale(dec("100")), 0);
}

static void test_money(void **state)
{
    struct cg_money m;
    char buf[CG_DEC_STRMAX];
    int exp;
    int64_t v;

    assert_int_equal(cg_money_exponent("USD", &exp), CG_OK);
    assert_int_equal(exp, 2);
    assert_int_equal(cg_money_exponent("JPY", &exp), CG_OK);
    assert_int_equal(exp, 0);
    assert_int_equal(cg_money_exponent("KWD", &exp), CG_OK);
    assert_int_equal(exp, 3);
    assert_int_equal(cg_money_exponent("XYZ", &exp), CG_ENOTFOUND);
    assert_int_equal(cg_money_exponent("usd", &exp), CG_ENOTFOUND);

    assert_int_equal(cg_money_parse("12.34", "USD", &m), CG_OK);
    assert_int_equal(m.minor, 1234);
    assert_string_equal(m.cur, "USD");
    assert_int_equal(cg_money_parse("12.345", "USD", &m), CG_ERANGE);
    assert_int_equal(cg_money_parse("1500", "JPY", &m), CG_OK);
    assert_int_equal(m.minor, 1500);
    assert_int_equal(cg_money_parse("1500.5", "JPY", &m), CG_ERANGE);
    assert_int_equal(cg_money_format(&m, buf, sizeof(buf)), CG_OK);
    assert_string_equal(buf, "1500");
    assert_int_equal(cg_money_parse("-0.10", "EUR", &m), CG_OK);
    assert_int_equal(cg_money_format(&m, buf, sizeof(buf)), CG_OK);
    assert_string_equal(buf, "-0.10");

    /* 0.005 USD -> 0.01 USD; -0.005 -> -0.01; 0.5 JPY -> 1 JPY. */
    assert_int_equal(cg_money_from_dec(dec("0.005"), "USD", &m), CG_OK);
    assert_int_equal(m.minor, 1);
    assert_int_equal(cg_money_from_dec(dec("-0.005"), "USD", &m), CG_OK);
    assert_int_equal(m.minor, -1);
    assert_int_equal(cg_money_from_dec(dec("0.5"), "JPY", &m), CG_OK);
    assert_int_equal(m.minor, 1);
    assert_int_equal(cg_money_from_dec(dec("1.0005"), "KWD", &m), CG_OK);
    assert_int_equal(m.minor, 1001);
    assert_int_equal(cg_money_to_dec(&m, &v), CG_OK);
    assert_int_equal(v, dec("1.001"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_plain),
        cmocka_unit_test(test_dec_why),
        cmocka_unit_test(test_five_fraction_digits),
        cmocka_unit_test(test_big_values),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_matches_printf),
        cmocka_unit_test(test_round_half_up),
        cmocka_unit_test(test_arith),
        cmocka_unit_test(test_money),
    };
    return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
