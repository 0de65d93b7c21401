/*
 * buf.h - growable byte buffer with a ceiling.
 *
 * Input from files and the network is untrusted, so every buffer has a maximum size given at
 * init; an append past it fails with CG_ENOMEM and leaves the buffer as it was. The data is
 * always NUL-terminated (the NUL is not counted in len).
 */
#ifndef CG_BUF_H
#define CG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cg_buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* ceiling on len */
};

void cg_buf_init(struct cg_buf *b, size_t max);
void cg_buf_free(struct cg_buf *b);
void cg_buf_reset(struct cg_buf *b); /* len = 0, keeps memory */
int cg_buf_add(struct cg_buf *b, const void *p, size_t n);
int cg_buf_adds(struct cg_buf *b, const char *s);
int cg_buf_addc(struct cg_buf *b, char c);
int cg_buf_addf(struct cg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cg_buf_vaddf(struct cg_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Borrowed pointer to the contents ("" when empty). */
const char *cg_buf_str(const struct cg_buf *b);
/* Hand the contents to the caller (free() it) and reset the buffer; "" copy when empty. */
char *cg_buf_take(struct cg_buf *b);

/* Bounded string helpers (no strcpy/strcat/sprintf in this code base). */
size_t cg_strlcpy(char *dst, const char *src, size_t size);
/* strdup that returns NULL for NULL. */
char *cg_strdup(const char *s);
/* Parse a whole decimal integer string into *out; CG_EINVAL / CG_ERANGE on failure. */
int cg_parse_long(const char *s, long min, long max, long *out);

#endif
