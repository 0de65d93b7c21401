/*
 * declare-guid.c - CEB guids, customs time stamps and the message type of a document.
 *
 * Guids are random UUIDs (version 4) from OpenSSL's RAND_bytes, written in upper case as the
 * specification asks. Times are rendered in China time (UTC+8, no daylight saving) only here,
 * at the message boundary. If the random generator fails (it does not on a working system) the
 * process aborts: a guid that is not unique would silently merge two customs documents.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/buf.h"
#include "declare/declare.h"

#define CHINA_OFFSET (8 * 3600)

void cg_guid_new(char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char r[16];
    size_t i, o = 0;

    if (RAND_bytes(r, (int)sizeof(r)) != 1)
        abort();
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
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
