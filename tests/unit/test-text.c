/*
 * test-text.c - cg_text_show(): what received text may not carry onto a terminal or into a log
 * line, and the cut at a character boundary. Expected strings are written from the code points
 * (U+202E RIGHT-TO-LEFT OVERRIDE is E2 80 AE in UTF-8, U+009B CSI is C2 9B).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/text.h"

static void expect(const char *in, const char *want)
{
    char out[256];

    assert_string_equal(cg_text_show(in, out, sizeof(out)), want);
}

static void test_escapes(void **state)
{
    (void)state;
    expect("SO-0000001", "SO-0000001");
    expect("棉制针织T恤衫", "棉制针织T恤衫");
    expect("a\nb\rc\td", "a\\x0Ab\\x0Dc\\x09d");
    expect("\x1b[31mred", "\\x1B[31mred");
    expect("del\x7f", "del\\x7F");
    expect("csi\xc2\x9b"
           "31m",
           "csi\\u{009B}31m");
    expect("abc\xe2\x80\xae"
           "fed",
           "abc\\u{202E}fed");
    expect("\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}");
    expect("zw\xe2\x80\x8bj", "zw\\u{200B}j");
    expect("\xef\xbb\xbf"
           "bom",
           "\\u{FEFF}bom");
    expect("\xe0\x80\x80", "\\xE0\\x80\\x80"); /* overlong */
    expect("gb\xc3\xde", "gb\\xC3\\xDE");      /* GB18030 bytes, not UTF-8 */
    /* How the order readers carry a NUL byte (U+DC00 + 0x00). */
    expect("NUL\xed\xb0\x80"
           "2",
           "NUL\\x002");
    expect(NULL, "");
}

static void test_cut(void **state)
{
    char out[8];

    (void)state;
    /* 7 bytes of room: "ab" + a 4-byte escape fit, the next escape does not. */
    assert_string_equal(cg_text_show("ab\n\n", out, sizeof(out)), "ab\\x0A");
    /* A character is never cut: 汉 is 3 bytes, two fit in 7, the third does not. */
    assert_string_equal(cg_text_show("汉汉汉", out, sizeof(out)), "汉汉");
    assert_string_equal(cg_text_show("x", out, 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_cut),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
