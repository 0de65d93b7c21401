/*
 * text.h - received or input text made safe to show on a terminal or write into a log line.
 *
 * Text from a receipt, an input file or the network may hold control characters, ANSI escape
 * sequences (CSI), Unicode bidi overrides that reorder what a reader sees, or bytes that are not
 * UTF-8. cg_text_show() copies the text with each of those written as a visible escape, so a
 * value can never forge a log line, move the cursor or hide what follows it.
 */
#ifndef CG_TEXT_H
#define CG_TEXT_H

#include <stddef.h>

/*
 * Copy s (NUL-terminated) into out (size > 0, always terminated), escaping: bytes below 0x20
 * and 0x7F as \xNN, the C1 controls U+0080..U+009F and the bidi and zero-width format
 * characters (U+061C, U+200B..U+200F, U+202A..U+202E, U+2060..U+2069, U+FEFF) as \u{XXXX}, and
 * bytes that are not valid UTF-8 (the escaped bytes of the order readers included) as \xNN.
 * Output that does not fit is cut at a character boundary. Returns out.
 */
char *cg_text_show(const char *s, char *out, size_t size);

/*
 * Where the n bytes at s stop being UTF-8 text: the offset of the first byte that is not valid
 * UTF-8, n when all are. *byte (may be NULL) gets that byte as the file had it: a byte the
 * GB18030 decoder of core/csvread.h could not convert, carried as the lone surrogate U+DC00 +
 * byte, is given back as that byte. *pos (may be NULL) gets its position in characters, from 1.
 */
size_t cg_text_invalid(const char *s, size_t n, unsigned *byte, size_t *pos);

#endif
