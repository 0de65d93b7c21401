/*
 * test-csvread.c - the CSV/encoding reader of core/: UTF-8 with a byte order mark, GB18030
 * decoded to UTF-8 (expected text written here as UTF-8 literals, bytes from the GB18030 code
 * table), the line a quoted multi-line record starts on, comments and blank lines, a record
 * that never ends stopped at max_line, and lines that end with CR alone.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/csvread.h"
#include "core/text.h"

/* A descriptor reading bytes (a pipe holds them: they are small). */
static int fd_of(const char *bytes, size_t n)
{
    int p[2];

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], bytes, n), (ssize_t)n);
    close(p[1]);
    return p[0];
}

static void test_utf8_bom_multiline(void **state)
{
    static const char text[] = "\xEF\xBB\xBF"
                               "no,name\n"
                               "\n"
                               "# a comment\n"
                               "1,\"two\nlines\"\n"
                               "2,\xE6\xA3\x89\n";
    struct cg_csv c;
    struct cg_row *row = NULL;
    struct cg_err err;

    (void)state;
    assert_int_equal(cg_csv_open(&c, fd_of(text, sizeof(text) - 1), "t.csv", CG_ENC_AUTO, ',', '"',
                                 true, 1024, &err),
                     CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 0), "no");
    assert_int_equal(row->line, 1);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "two\nlines");
    assert_int_equal(row->line, 4);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "棉");
    assert_string_equal(cg_row_field(row, 7), "");
    assert_int_equal(row->line, 6);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_ENOTFOUND);
    cg_csv_close(&c);
}

/* Lines that end with CR alone (Excel's "CSV (Macintosh)") are lines: each record has the line it
 * starts on (all were line 0 or 1), and max_line bounds a line, not the whole file (a file of
 * 200 bytes was one line past 64). A CRLF file is split at LF as before. */
static void test_cr_line_ends(void **state)
{
    static const char text[] = "no,name\r"
                               "\r"
                               "1,\"two\rlines\"\r"
                               "2,abcdefghijklmnopqrstuvwxyz\r"
                               "3,abcdefghijklmnopqrstuvwxyz\r"
                               "4,abcdefghijklmnopqrstuvwxyz\r"
                               "5,abcdefghijklmnopqrstuvwxyz\r"
                               "6,abcdefghijklmnopqrstuvwxyz\r"
                               "7,abcdefghijklmnopqrstuvwxyz";
    static const char crlf[] = "no,name\r\n1,a\r\n\r\n2,b\r\n";
    struct cg_csv c;
    struct cg_row *row = NULL;
    struct cg_err err;
    int i;

    (void)state;
    assert_int_equal(cg_csv_open(&c, fd_of(text, sizeof(text) - 1), "t.csv", CG_ENC_AUTO, ',', '"',
                                 true, 64, &err),
                     CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "name");
    assert_int_equal(row->line, 1);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "two\rlines");
    assert_int_equal(row->line, 3);
    for (i = 2; i <= 7; i++) {
        assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
        assert_int_equal(atoi(cg_row_field(row, 0)), i);
        assert_string_equal(cg_row_field(row, 1), "abcdefghijklmnopqrstuvwxyz");
        assert_int_equal(row->line, i + 3);
    }
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_ENOTFOUND);
    cg_csv_close(&c);

    assert_int_equal(cg_csv_open(&c, fd_of(crlf, sizeof(crlf) - 1), "t.csv", CG_ENC_AUTO, ',', '"',
                                 true, 64, &err),
                     CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_int_equal(row->line, 1);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "a");
    assert_int_equal(row->line, 2);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "b");
    assert_int_equal(row->line, 4);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_ENOTFOUND);
    cg_csv_close(&c);
}

static void test_gb18030(void **state)
{
    /* 棉制 in GB18030 (GBK): C3DE D6C6. */
    static const char text[] = "sku,name\nTS-1,\xC3\xDE\xD6\xC6\n";
    struct cg_csv c;
    struct cg_row *row = NULL;
    struct cg_err err;

    (void)state;
    assert_int_equal(cg_csv_open(&c, fd_of(text, sizeof(text) - 1), "g.csv", CG_ENC_AUTO, ',', '"',
                                 false, 1024, &err),
                     CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_string_equal(cg_row_field(row, 1), "棉制");
    cg_csv_close(&c);
}

static void test_unclosed_quote_bounded(void **state)
{
    char text[4096];
    struct cg_csv c;
    struct cg_row *row = NULL;
    struct cg_err err;
    size_t n;

    (void)state;
    n = (size_t)snprintf(text, sizeof(text), "a,b\n1,\"never closed\n");
    while (n + 12 < sizeof(text))
        n += (size_t)snprintf(text + n, sizeof(text) - n, "more text\n");
    assert_int_equal(
        cg_csv_open(&c, fd_of(text, n), "u.csv", CG_ENC_UTF8, ',', '"', false, 256, &err), CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_OK);
    assert_int_equal(cg_csv_next(&c, &row, &err), CG_EPARSE);
    assert_non_null(strstr(err.msg, "u.csv:2: record longer than 256 bytes"));
    cg_csv_close(&c);
}

/*
 * A file already in memory (a bank statement) decoded whole as a file is read: the BOM dropped,
 * GBK text as UTF-8, line ends kept as they are; a byte GB18030 cannot read is carried as
 * U+DC00 + byte, which cg_text_invalid finds and gives back as the byte of the file.
 */
static void test_decode_memory(void **state)
{
    /* :86:汇款 then 0xFF in GBK, CRLF lines */
    static const char gbk[] = ":20:X\r\n:86:\xBB\xE3\xBF\xEE\xFF\r\n-";
    static const char utf8[] = "\xEF\xBB\xBFreceipt_id,remitter\nR1,\xE7\x8E\x8B\n";
    struct cg_err err;
    char *out = NULL;
    size_t n = 0, pos = 0;
    unsigned byte = 0;

    (void)state;
    assert_int_equal(cg_src_decode(gbk, sizeof(gbk) - 1, "g.sta", CG_ENC_AUTO, &out, &n, &err),
                     CG_OK);
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, ":20:X\r\n:86:\xE6\xB1\x87\xE6\xAC\xBE\xED\xB3\xBF\r\n-");
    /* the escaped 0xFF: byte 13 of the text, the 7th character of its line */
    assert_int_equal(cg_text_invalid(out + 7, n - 7, &byte, &pos), 10);
    assert_int_equal(byte, 0xFF);
    assert_int_equal(pos, 7);
    free(out);

    assert_int_equal(cg_src_decode(utf8, sizeof(utf8) - 1, "u.csv", CG_ENC_AUTO, &out, &n, &err),
                     CG_OK);
    assert_string_equal(out, "receipt_id,remitter\nR1,\xE7\x8E\x8B\n");
    assert_int_equal(cg_text_invalid(out, n, &byte, &pos), n);
    free(out);

    /* nothing at all is an empty text; UTF-16 is refused as a file is */
    assert_int_equal(cg_src_decode("", 0, "e.csv", CG_ENC_AUTO, &out, &n, &err), CG_OK);
    assert_string_equal(out, "");
    free(out);
    assert_int_equal(cg_src_decode("\xFF\xFEr\0", 4, "w.csv", CG_ENC_AUTO, &out, &n, &err),
                     CG_EPARSE);
    /* a sequence cut by the end is not text */
    assert_int_equal(cg_text_invalid("ab\xE6\xB1", 4, &byte, &pos), 2);
    assert_int_equal(byte, 0xE6);
    assert_int_equal(pos, 3);
}

static void test_enc_names(void **state)
{
    enum cg_enc e = CG_ENC_AUTO;

    (void)state;
    assert_int_equal(cg_enc_parse("gb18030", &e), CG_OK);
    assert_int_equal(e, CG_ENC_GB18030);
    assert_int_equal(cg_enc_parse("utf-8", &e), CG_OK);
    assert_int_equal(e, CG_ENC_UTF8);
    assert_int_equal(cg_enc_parse("latin1", &e), CG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_bom_multiline),
        cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_gb18030),
        cmocka_unit_test(test_unclosed_quote_bounded),
        cmocka_unit_test(test_decode_memory),
        cmocka_unit_test(test_enc_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
