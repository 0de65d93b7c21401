/*
 * buf.c - bounded growable buffer and small string helpers.
 *
 * Growth doubles the capacity but never past max + 1 (room for the NUL); an append that would
 * pass max fails with CG_ENOMEM and leaves the contents unchanged.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

void cg_buf_init(struct cg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void cg_buf_free(struct cg_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void cg_buf_reset(struct cg_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

static int grow(struct cg_buf *b, size_t need)
{
    size_t cap;
    char *p;

    if (need > b->max)
        return CG_ENOMEM;
    if (need + 1 <= b->cap)
        return CG_OK;
    cap = b->cap != 0 ? b->cap : 64;
    while (cap < need + 1)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (p == NULL)
        return CG_ENOMEM;
    b->data = p;
    b->cap = cap;
    return CG_OK;
}

int cg_buf_add(struct cg_buf *b, const void *p, size_t n)
{
    int rc;

    if (n > SIZE_MAX - b->len - 1)
        return CG_ENOMEM;
    rc = grow(b, b->len + n);
    if (rc != CG_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return CG_OK;
}

int cg_buf_adds(struct cg_buf *b, const char *s)
{
    return cg_buf_add(b, s, strlen(s));
}

int cg_buf_addc(struct cg_buf *b, char c)
{
    return cg_buf_add(b, &c, 1);
}

int cg_buf_vaddf(struct cg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    int rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return CG_EINVAL;
    rc = grow(b, b->len + (size_t)n);
    if (rc != CG_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CG_OK;
}

int cg_buf_addf(struct cg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = cg_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *cg_buf_str(const struct cg_buf *b)
{
    return b->data != NULL ? b->data : "";
}

char *cg_buf_take(struct cg_buf *b)
{
    char *p = b->data;

    if (p == NULL)
        p = cg_strdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

size_t cg_strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size > 0) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

char *cg_strdup(const char *s)
{
    size_t n;
    char *p;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

int cg_parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0')
        return CG_EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return CG_EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return CG_ERANGE;
    *out = v;
    return CG_OK;
}
