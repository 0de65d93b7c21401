/*
 * declare-guid.c - CEB guids, customs time stamps and the message type of a document.
 *
 * Guids are time-ordered UUIDs (version 7, RFC 9562): the first 48 bits are the Unix time in
 * milliseconds, the other 74 (besides version and variant) come from OpenSSL's RAND_bytes; they
 * are written in upper case as the specification asks. The time prefix keeps the guid and file
 * name indexes of the lifecycle database growing at their right edge, so a million-order batch
 * inserts into the same few index pages instead of one random page per message (with random
 * guids, database reads and writes per message grew with the database; bench/RESULTS.md,
 * "Spool"). Uniqueness rests on the 74 random bits within each millisecond. If the random
 * generator or the clock fails (they do not on a working system) the process aborts: a guid that
 * is not unique would silently merge two customs documents.
 *
 * The random bits are drawn from OpenSSL 64 guids at a time into a buffer of the calling thread:
 * each RAND_bytes call locks the generator and asks the kernel for the process id (to notice a
 * fork), which cost more than the rest of a guid. Each byte of the buffer is used once. A fork
 * empties the buffer of the thread that forked (the only thread of the child), so a child never
 * repeats its parent's guids.
 *
 * Times are rendered in China time (UTC+8, no daylight saving) only here, at the message
 * boundary.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/buf.h"
#include "declare/declare.h"

#define CHINA_OFFSET (8 * 3600)

#define GUID_RANDOM 16
#define GUID_POOL (64 * GUID_RANDOM)

static _Thread_local unsigned char pool[GUID_POOL];
static _Thread_local size_t pool_left;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
    pool_left = 0;
}

static void pool_init(void)
{
    if (pthread_atfork(NULL, NULL, pool_forget) != 0)
        abort();
}

static void random_bytes(unsigned char r[GUID_RANDOM])
{
    if (pthread_once(&pool_once, pool_init) != 0)
        abort();
    if (pool_left < GUID_RANDOM) {
        if (RAND_bytes(pool, (int)sizeof(pool)) != 1)
            abort();
        pool_left = sizeof(pool);
    }
    pool_left -= GUID_RANDOM;
    memcpy(r, pool + pool_left, GUID_RANDOM);
}

void cg_guid_new(char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char r[GUID_RANDOM];
    struct timespec ts;
    uint64_t ms;
    size_t i, o = 0;

    random_bytes(r);
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        abort();
    ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    for (i = 0; i < 6; i++)
        r[i] = (unsigned char)(ms >> (40 - 8 * i));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x70); /* version 7 */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    for (i = 0; i < sizeof(r); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 0x0f];
    }
    out[o] = '\0';
}

static void china_tm(time_t t, struct tm *tm)
{
    time_t c = t + CHINA_OFFSET;

    if (gmtime_r(&c, tm) == NULL)
        memset(tm, 0, sizeof(*tm));
}

void cg_ceb_time(time_t t, char out[15])
{
    struct tm tm;

    china_tm(t, &tm);
    if (strftime(out, 15, "%Y%m%d%H%M%S", &tm) != 14)
        cg_strlcpy(out, "00000000000000", 15);
}

void cg_ceb_date(time_t t, char out[9])
{
    struct tm tm;

    china_tm(t, &tm);
    if (strftime(out, 9, "%Y%m%d", &tm) != 8)
        cg_strlcpy(out, "00000000", 9);
}

bool cg_schema_version_ok(const char *version)
{
    return version != NULL && (strcmp(version, "202205") == 0 || strcmp(version, "2018") == 0);
}

int cg_msg_type_of(xmlDocPtr doc)
{
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    const char *name;
    int t = 0, i;

    if (root == NULL || root->ns == NULL || root->ns->href == NULL ||
        strcmp((const char *)root->ns->href, CG_NS_CEB) != 0)
        return 0;
    name = (const char *)root->name;
    if (strncmp(name, "CEB", 3) != 0)
        return 0;
    for (i = 3; i < 6; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        t = t * 10 + (name[i] - '0');
    }
    /* "CEB603Message"; the official CEB214 sample is rooted at a bare "CEB214". */
    if (strcmp(name + 6, "Message") != 0 && name[6] != '\0')
        return 0;
    return t;
}
