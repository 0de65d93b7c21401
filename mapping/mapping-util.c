/*
 * mapping-util.c - string hash map, text checks for what XML can carry, timestamps, and the
 * kind of a rejection message (what the run summary and the report group rejections by).
 *
 * The map owns copies of its keys; values belong to the caller unless cg_map_clear() is given
 * a free function. Text checks never allocate. Failures are return codes only.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "mapping/mapping-int.h"

/* ------------------------------------------------------------------ hash map */

static uint64_t hash_str(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return h;
}

void cg_map_init(struct cg_map *m)
{
    memset(m, 0, sizeof(*m));
}

void cg_map_clear(struct cg_map *m, void (*free_val)(void *))
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        if (m->keys[i] == NULL)
            continue;
        free(m->keys[i]);
        if (free_val != NULL)
            free_val(m->vals[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

static size_t slot(const struct cg_map *m, const char *key)
{
    size_t i = (size_t)hash_str(key) & (m->cap - 1);

    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int grow(struct cg_map *m)
{
    struct cg_map n;
    size_t i;

    n.cap = m->cap == 0 ? 64 : m->cap * 2;
    n.n = m->n;
    n.keys = calloc(n.cap, sizeof(*n.keys));
    n.vals = calloc(n.cap, sizeof(*n.vals));
    if (n.keys == NULL || n.vals == NULL) {
        free(n.keys);
        free(n.vals);
        return CG_ENOMEM;
    }
    for (i = 0; i < m->cap; i++) {
        size_t j;

        if (m->keys[i] == NULL)
            continue;
        j = slot(&n, m->keys[i]);
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    *m = n;
    return CG_OK;
}

int cg_map_put(struct cg_map *m, const char *key, void *val, bool replace)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap && grow(m) != CG_OK)
        return CG_ENOMEM;
    i = slot(m, key);
    if (m->keys[i] != NULL) {
        if (!replace)
            return CG_EEXIST;
        m->vals[i] = val;
        return CG_OK;
    }
    m->keys[i] = strdup(key);
    if (m->keys[i] == NULL)
        return CG_ENOMEM;
    m->vals[i] = val;
    m->n++;
    return CG_OK;
}

void *cg_map_get(const struct cg_map *m, const char *key)
{
    size_t i;

    if (m->cap == 0)
        return NULL;
    i = slot(m, key);
    return m->keys[i] != NULL ? m->vals[i] : NULL;
}

/* ------------------------------------------------------------------ set of order numbers */

void cg_seen_init(struct cg_seen *s)
{
    memset(s, 0, sizeof(*s));
    /* Offsets are 32 bits: the arena stops short of 4 GiB. */
    cg_buf_init(&s->arena, UINT32_MAX - 1);
}

void cg_seen_clear(struct cg_seen *s)
{
    cg_buf_free(&s->arena);
    free(s->slots);
    cg_seen_init(s);
}

static const char *seen_key(const struct cg_seen *s, uint32_t off)
{
    return s->arena.data + off + sizeof(int64_t);
}

static size_t seen_slot(const uint32_t *slots, size_t cap, const struct cg_seen *s, const char *key)
{
    size_t i = (size_t)hash_str(key) & (cap - 1);

    while (slots[i] != 0 && strcmp(seen_key(s, slots[i]), key) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int seen_grow(struct cg_seen *s)
{
    size_t cap = s->cap == 0 ? 1024 : s->cap * 2;
    uint32_t *slots = calloc(cap, sizeof(*slots));
    size_t i;

    if (slots == NULL)
        return CG_ENOMEM;
    for (i = 0; i < s->cap; i++) {
        if (s->slots[i] != 0)
            slots[seen_slot(slots, cap, s, seen_key(s, s->slots[i]))] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return CG_OK;
}

int cg_seen_add(struct cg_seen *s, const char *key, long line, long *first)
{
    size_t off = s->arena.len;
    int64_t l = line;
    size_t i;

    /* At most three quarters full: a probe stays short. */
    if ((s->n + 1) * 4 > s->cap * 3 && seen_grow(s) != CG_OK)
        return CG_ENOMEM;
    i = seen_slot(s->slots, s->cap, s, key);
    if (s->slots[i] != 0) {
        memcpy(&l, s->arena.data + s->slots[i], sizeof(l));
        *first = (long)l;
        return CG_EEXIST;
    }
    /* Offset 0 marks an empty slot: the arena starts with a byte no entry uses. */
    if (off == 0 && cg_buf_addc(&s->arena, '\0') != CG_OK)
        return CG_ENOMEM;
    off = s->arena.len;
    if (cg_buf_add(&s->arena, &l, sizeof(l)) != CG_OK ||
        cg_buf_add(&s->arena, key, strlen(key) + 1) != CG_OK)
        return CG_ENOMEM;
    s->slots[i] = (uint32_t)off;
    s->n++;
    return CG_OK;
}

/* ------------------------------------------------------------------ set of hashes */

uint64_t cg_hash_order_no(const char *s)
{
    return hash_str(s);
}

void cg_hset_init(struct cg_hset *s)
{
    memset(s, 0, sizeof(*s));
}

void cg_hset_clear(struct cg_hset *s)
{
    free(s->slots);
    cg_hset_init(s);
}

/* The slot of h: FNV-1a's low bits follow the last bytes of the key, so mix them first
 * (MurmurHash3's finaliser); 0 marks an empty slot and stands for the hash 0 as 1. */
static size_t hset_slot(const uint64_t *slots, size_t cap, uint64_t h)
{
    uint64_t x = h;
    size_t i;

    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    i = (size_t)x & (cap - 1);
    while (slots[i] != 0 && slots[i] != h)
        i = (i + 1) & (cap - 1);
    return i;
}

static int hset_grow(struct cg_hset *s)
{
    size_t cap = s->cap == 0 ? 1024 : s->cap * 2;
    uint64_t *slots = calloc(cap, sizeof(*slots));
    size_t i;

    if (slots == NULL)
        return CG_ENOMEM;
    for (i = 0; i < s->cap; i++) {
        if (s->slots[i] != 0)
            slots[hset_slot(slots, cap, s->slots[i])] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return CG_OK;
}

int cg_hset_add(struct cg_hset *s, uint64_t h)
{
    size_t i;

    if (h == 0)
        h = 1;
    /* At most three quarters full, as struct cg_seen. */
    if ((s->n + 1) * 4 > s->cap * 3 && hset_grow(s) != CG_OK)
        return CG_ENOMEM;
    i = hset_slot(s->slots, s->cap, h);
    if (s->slots[i] != 0)
        return CG_EEXIST;
    s->slots[i] = h;
    s->n++;
    return CG_OK;
}

bool cg_hset_has(const struct cg_hset *s, uint64_t h)
{
    if (h == 0)
        h = 1;
    return s->cap > 0 && s->slots[hset_slot(s->slots, s->cap, h)] != 0;
}

/* ------------------------------------------------------------------ text */

size_t cg_utf8_len(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    }
    return n;
}

/* Decode one UTF-8 sequence; returns its length, 0 when invalid. */
static size_t utf8_dec(const unsigned char *p, uint32_t *cp)
{
    uint32_t c;
    size_t n, i;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        c = p[0] & 0x1F;
        n = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        c = p[0] & 0x0F;
        n = 3;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        c = p[0] & 0x07;
        n = 4;
    } else {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

bool cg_text_ok(const char *s, char *why, size_t size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t pos = 0;

    while (*p != '\0') {
        uint32_t cp = 0;
        size_t n = utf8_dec(p, &cp);

        if (n == 0) {
            unsigned int byte = *p;
            /* A byte the GB18030 decoder could not convert arrives escaped as U+DC80..U+DCFF. */
            if (p[0] == 0xED && (p[1] & 0xFC) == 0xB0 && (p[2] & 0xC0) == 0x80)
                byte = ((p[1] & 0x03u) << 6) | (p[2] & 0x3Fu);
            /* A NUL byte of the file arrives escaped the same way (see row_add()). */
            if (byte < 0x20) {
                snprintf(why, size,
                         "control character U+%04X at position %zu cannot be carried in a "
                         "customs XML message",
                         byte, pos + 1);
                return false;
            }
            snprintf(why, size,
                     "byte 0x%02X at position %zu is not valid text in the file's encoding "
                     "(UTF-8 or GB18030; a sheet Excel saved as \"CSV (Comma delimited)\" is "
                     "in the Windows code page: save it as \"CSV UTF-8\")",
                     byte, pos + 1);
            return false;
        }
        if ((cp < 0x20 && cp != 0x09 && cp != 0x0A && cp != 0x0D) || cp == 0xFFFE || cp == 0xFFFF) {
            snprintf(why, size,
                     "control character U+%04X at position %zu cannot be carried in a customs "
                     "XML message",
                     (unsigned)cp, pos + 1);
            return false;
        }
        p += n;
        pos++;
    }
    return true;
}

bool cg_json_plain(const char *s, bool ascii, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        uint32_t cp;
        size_t n;

        if (*p < 0x80) {
            if (*p < 0x20 || *p == '"' || *p == '\\')
                return false;
            p++;
            continue;
        }
        if (ascii || (n = utf8_dec(p, &cp)) == 0)
            return false;
        p += n;
    }
    *len = (size_t)(p - (const unsigned char *)s);
    return true;
}

char *cg_trim(char *s)
{
    size_t n = strlen(s);
    size_t i = 0;

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    s[n] = '\0';
    while (s[i] == ' ' || s[i] == '\t')
        i++;
    if (i > 0)
        memmove(s, s + i, n - i + 1);
    return s;
}

bool cg_is_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return s[n] == '\0';
}

/* ------------------------------------------------------------------ time */

static int num(const char *s, size_t n, int *out)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return CG_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return CG_OK;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static bool date_ok(int y, int mo, int d, int h, int mi, int se)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return h <= 23 && mi <= 59 && se <= 60;
}

/* 1 to max digits at *p into *out, moving *p past them; false when there are none or more. */
static bool digits(const char **p, size_t max, int *out)
{
    size_t n = 0;

    while ((*p)[n] >= '0' && (*p)[n] <= '9' && n <= max)
        n++;
    if (n == 0 || n > max || num(*p, n, out) != CG_OK)
        return false;
    *p += n;
    return true;
}

int cg_time_to_customs(const char *s, char out[15])
{
    int y, mo, d, h, mi, se = 0, oh = 0, om = 0;
    int sign = 0; /* 0: no offset, China time */
    const char *r = s;
    char sep;
    int64_t t;
    int n;

    if (cg_is_digits(s, 14)) {
        if (num(s, 4, &y) || num(s + 4, 2, &mo) || num(s + 6, 2, &d) || num(s + 8, 2, &h) ||
            num(s + 10, 2, &mi) || num(s + 12, 2, &se) || !date_ok(y, mo, d, h, mi, se))
            return CG_EINVAL;
        memcpy(out, s, 15);
        return CG_OK;
    }
    /* Year first, the date parts joined by '-' or '/' (what a spreadsheet writes back: Excel
     * drops leading zeros and the seconds), then the time with or without seconds. */
    if (num(s, 4, &y) != CG_OK || (s[4] != '-' && s[4] != '/'))
        return CG_EINVAL;
    sep = s[4];
    r = s + 5;
    if (!digits(&r, 2, &mo) || *r++ != sep || !digits(&r, 2, &d) || (*r != ' ' && *r != 'T'))
        return CG_EINVAL;
    r++;
    if (!digits(&r, 2, &h) || *r++ != ':' || num(r, 2, &mi) != CG_OK)
        return CG_EINVAL;
    r += 2;
    if (*r == ':') {
        if (num(r + 1, 2, &se) != CG_OK)
            return CG_EINVAL;
        r += 3;
        if (*r == '.') { /* fraction of a second: dropped */
            r++;
            while (*r >= '0' && *r <= '9')
                r++;
        }
    }
    if (!date_ok(y, mo, d, h, mi, se))
        return CG_EINVAL;
    if (*r == ' ')
        r++;
    if (*r == 'Z' && r[1] == '\0') {
        sign = 1;
    } else if ((*r == '+' || *r == '-') && (strlen(r) == 5 || strlen(r) == 6)) {
        const char *mm = r[3] == ':' ? r + 4 : r + 3;

        if (num(r + 1, 2, &oh) || num(mm, 2, &om) || mm[2] != '\0' || oh > 14 || om > 59)
            return CG_EINVAL;
        sign = *r == '+' ? 1 : -1;
    } else if (*r != '\0') {
        return CG_EINVAL;
    }
    if (sign == 0) {
        n = snprintf(out, 15, "%04d%02d%02d%02d%02d%02d", y, mo, d, h, mi, se);
        return n == 14 ? CG_OK : CG_EINVAL;
    }
    /* To UTC, then to China time (UTC+8, no daylight saving). */
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    t -= sign * (oh * 3600 + om * 60);
    t += 8 * 3600;
    {
        int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
        int64_t rem = t - days * 86400;

        civil_from_days(days, &y, &mo, &d);
        /* A shift past 9999-12-31 leaves no four-digit year: not a customs time. */
        n = snprintf(out, 15, "%04d%02d%02d%02d%02d%02d", y, mo, d, (int)(rem / 3600),
                     (int)(rem / 60 % 60), (int)(rem % 60));
    }
    return n == 14 ? CG_OK : CG_EINVAL;
}

bool cg_time_year_last(const char *s)
{
    const char *r = s;
    int v;
    char sep;

    if (!digits(&r, 2, &v) || (*r != '/' && *r != '-' && *r != '.'))
        return false;
    sep = *r++;
    if (!digits(&r, 2, &v) || *r++ != sep)
        return false;
    s = r;
    if (!digits(&r, 4, &v) || (r - s != 2 && r - s != 4))
        return false;
    return *r == '\0' || *r == ' ' || *r == 'T';
}

/* ------------------------------------------------------------------ files */

int cg_open_read(const char *path, int *fd, struct cg_err *err)
{
    struct stat st;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (f < 0)
        return CG_ERR_SET(err, errno == ENOENT ? CG_ENOTFOUND : CG_EIO, "%s: %s", path,
                          strerror(errno));
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return CG_ERR_SET(err, CG_EIO, "%s: not a regular file", path);
    }
    *fd = f;
    return CG_OK;
}
