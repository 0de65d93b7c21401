/*
 * text.c - visible escapes for untrusted text in messages, logs and `cebgate status`.
 *
 * Pure functions over caller-owned buffers: nothing is allocated and nothing can fail.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/text.h"

/* Length of the valid UTF-8 sequence at p (1..4) with its code point, 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
    size_t n, i;
    uint32_t c;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        c = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        c = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        c = p[0] & 0x07u;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* Characters that change how the rest of a line is displayed. */
static bool is_format(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0x061C || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

char *cg_text_show(const char *s, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t o = 0;

    while (*p != '\0') {
        char esc[16];
        const char *piece = esc;
        uint32_t cp = 0;
        size_t n = utf8_seq(p, &cp), len;

        if (n == 0 && p[0] == 0xED && (p[1] & 0xFC) == 0xB0 && (p[2] & 0xC0) == 0x80) {
            /* U+DC00 + byte: how the order readers carry a byte they could not decode. */
            snprintf(esc, sizeof(esc), "\\x%02X", ((p[1] & 0x03u) << 6) | (p[2] & 0x3Fu));
            n = 3;
        } else if (n == 0) {
            snprintf(esc, sizeof(esc), "\\x%02X", *p);
            n = 1;
        } else if (cp < 0x20 || cp == 0x7F) {
            snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)cp);
        } else if (is_format(cp)) {
            snprintf(esc, sizeof(esc), "\\u{%04X}", (unsigned)cp);
        } else {
            piece = (const char *)p;
        }
        len = piece == esc ? strlen(esc) : n;
        if (o + len + 1 > size)
            break;
        memcpy(out + o, piece, len);
        o += len;
        p += n;
    }
    if (size > 0)
        out[o] = '\0';
    return out;
}

size_t cg_text_invalid(const char *s, size_t n, unsigned *byte, size_t *pos)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, chars = 0;

    while (i < n) {
        uint32_t cp = 0;
        size_t need = p[i] < 0x80 ? 1 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3 : 4;
        size_t k = need <= n - i ? utf8_seq(p + i, &cp) : 0;

        if (k == 0) {
            unsigned b = p[i];

            /* U+DC00 + byte: how the GB18030 decoder carries a byte it could not convert. */
            if (n - i >= 3 && p[i] == 0xED && (p[i + 1] & 0xFC) == 0xB0 &&
                (p[i + 2] & 0xC0) == 0x80)
                b = ((p[i + 1] & 0x03u) << 6) | (p[i + 2] & 0x3Fu);
            if (byte != NULL)
                *byte = b;
            if (pos != NULL)
                *pos = chars + 1;
            return i;
        }
        i += k;
        chars++;
    }
    return n;
}
