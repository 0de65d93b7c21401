/*
 * port-quota.c - how many messages each sender may make the port record in one day
 * ([port] sender_daily_max).
 *
 * Every message the port checks leaves a row in submissions, and an accepted one its message,
 * documents and receipts, a refused one (0001/0002) its CEB900: one sender's runaway client
 * could fill the port's disk for every sender. So a sender may have at most sender_daily_max
 * messages recorded (accepted, accepted again or refused, each a submissions row) in one China
 * day (00:00 to 24:00 UTC+8, the day of the port's daily serials); past it its POSTs are
 * answered 429 before anything of them is read, checked or stored, until the next China day.
 *
 * The count is kept in memory per sender, under p->flock: cg_port_quota_load() reads it from
 * the database at start-up (one indexed query), and from then on it changes with the requests.
 * A POST takes a place when it is admitted (cg_port_quota_take) and holds it while it is
 * received and checked; when the writer has committed its submissions row the place becomes
 * one of the day's (cg_port_quota_stored), and a POST that ends without a row gives its place
 * back (cg_port_quota_give_back). Admission counts both, so the requests of one sender in
 * flight at once cannot pass the limit together. Nothing here fails but the load.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "port/port-int.h"

#define DAY_MS INT64_C(86400000)
#define CHINA_MS INT64_C(28800000) /* UTC+8, no daylight saving */

int64_t cg_port_china_day(int64_t ms)
{
    int64_t t = ms + CHINA_MS;

    return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

/* The sender's own entry (the table is the port's; its counters change under p->flock). */
static struct cg_port_sender *entry(struct cg_port *p, const struct cg_port_sender *s)
{
    return s != NULL ? &p->senders[s - p->senders] : NULL;
}

/* A new China day starts with nothing recorded (held places stay held). Under p->flock. */
static void roll(struct cg_port_sender *s, int64_t day)
{
    if (s->quota_day == day)
        return;
    s->quota_day = day;
    s->quota_stored = 0;
    s->quota_warned = false;
}

static void iso_utc(int64_t unix_s, char out[32])
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct load_ctx {
    struct cg_port *p;
    int64_t day;
};

static int load_one(const char *sender, long n, void *vctx)
{
    struct load_ctx *c = vctx;
    size_t i;

    for (i = 0; i < c->p->nsenders; i++)
        if (strcmp(c->p->senders[i].name, sender) == 0) {
            roll(&c->p->senders[i], c->day);
            c->p->senders[i].quota_stored = n;
        }
    return CG_OK;
}

int cg_port_quota_load(struct cg_port *p, int64_t now_ms, struct cg_err *err)
{
    struct load_ctx c = {p, cg_port_china_day(now_ms)};
    char from[32];
    char to[32];
    size_t i;
    int rc;

    /* received_at is UTC ISO-8601: a China day runs from 16:00:00Z the UTC day before */
    iso_utc((c.day * DAY_MS - CHINA_MS) / 1000, from);
    iso_utc(((c.day + 1) * DAY_MS - CHINA_MS) / 1000, to);
    pthread_mutex_lock(&p->flock);
    for (i = 0; i < p->nsenders; i++) {
        roll(&p->senders[i], c.day);
        p->senders[i].quota_stored = 0;
    }
    pthread_mutex_unlock(&p->flock);
    pthread_mutex_lock(&p->rlock);
    pthread_mutex_lock(&p->flock);
    rc = cg_store_port_submissions_between(p->rdb, from, to, load_one, &c, err);
    pthread_mutex_unlock(&p->flock);
    cg_store_port_reset(p->rdb);
    pthread_mutex_unlock(&p->rlock);
    return rc;
}

/* The sender's own daily_max, else the port's sender_daily_max; 0: no limit. */
static long limit_of(const struct cg_port *p, const struct cg_port_sender *s)
{
    return s != NULL && s->daily_max >= 0 ? s->daily_max : p->sender_daily_max;
}

bool cg_port_quota_take(struct cg_port *p, const struct cg_port_sender *from, int64_t now_ms,
                        long *retry_after_s)
{
    struct cg_port_sender *s = entry(p, from);
    int64_t day = cg_port_china_day(now_ms);
    bool warn = false;
    long stored = 0;
    long max;

    if (s == NULL)
        return true;
    max = limit_of(p, s);
    pthread_mutex_lock(&p->flock);
    roll(s, day);
    if (max <= 0 || s->quota_stored + s->quota_held < max) {
        s->quota_held++;
        pthread_mutex_unlock(&p->flock);
        return true;
    }
    p->quota_refused++;
    warn = !s->quota_warned;
    s->quota_warned = true;
    stored = s->quota_stored;
    pthread_mutex_unlock(&p->flock);
    /* until 00:00 China time, when the next day starts */
    *retry_after_s = (long)(((day + 1) * DAY_MS - CHINA_MS - now_ms + 999) / 1000);
    if (*retry_after_s < 1)
        *retry_after_s = 1;
    if (warn)
        cg_warn("port: sender %s has had %ld messages recorded today (China time), its "
                "%s of %ld: its messages are answered 429 (code 3998) for the next %ld s, until "
                "00:00 China time",
                s->name, stored, s->daily_max >= 0 ? "daily_max" : "sender_daily_max", max,
                *retry_after_s);
    else
        cg_debug("port: a message from sender %s answered 429: past %s (%ld)", s->name,
                 s->daily_max >= 0 ? "daily_max" : "sender_daily_max", max);
    return false;
}

void cg_port_quota_text(const struct cg_port *p, const struct cg_port_sender *s, char *buf,
                        size_t size)
{
    bool own = s != NULL && s->daily_max >= 0;

    snprintf(buf, size,
             "this sender has had as many messages recorded today as it may (%s, %ld a day in "
             "China time): nothing was read or stored; send again after 00:00 China time",
             own ? "its daily_max" : "sender_daily_max", limit_of(p, s));
}

void cg_port_quota_give_back(struct cg_port *p, const struct cg_port_sender *from)
{
    struct cg_port_sender *s = entry(p, from);

    if (s == NULL)
        return;
    pthread_mutex_lock(&p->flock);
    if (s->quota_held > 0)
        s->quota_held--;
    pthread_mutex_unlock(&p->flock);
}

void cg_port_quota_stored(struct cg_port *p, const struct cg_port_sender *from, bool held,
                          int64_t now_ms)
{
    struct cg_port_sender *s = entry(p, from);

    if (s == NULL)
        return;
    pthread_mutex_lock(&p->flock);
    roll(s, cg_port_china_day(now_ms));
    s->quota_stored++;
    if (held && s->quota_held > 0)
        s->quota_held--;
    pthread_mutex_unlock(&p->flock);
}

void cg_port_quota_usage(struct cg_port *p, const struct cg_port_sender *from, int64_t now_ms,
                         long *stored, long *refused)
{
    struct cg_port_sender *s = entry(p, from);

    pthread_mutex_lock(&p->flock);
    if (s != NULL) {
        roll(s, cg_port_china_day(now_ms));
        *stored = s->quota_stored;
    }
    *refused = p->quota_refused;
    pthread_mutex_unlock(&p->flock);
}
