/*
 * port-lograte.c - at most one log line of a kind per key and interval.
 *
 * The port logs what an operator needs (a sender with a wrong token, a client certificate it
 * refused, a message it could not store), but each of those can come thousands of times a
 * second: a client retrying with a wrong token, every request while the disk is full. A line
 * is logged the first time a key (the kind with the client address, or one of the port's own
 * failures) comes, then not again for CG_PORT_LOG_INTERVAL_MS; the lines held back meanwhile are
 * counted, and the next line of that key says how many there were. The table of client keys
 * has CG_PORT_LOG_SLOTS places: a key comes in the place of one that has not been logged within
 * the interval, and when every place is taken the newcomers share the last one (until a line
 * through it has told the count it held back), so a flood from many addresses still logs at
 * most CG_PORT_LOG_SLOTS lines an interval. The port's own failures (a full disk, a database
 * error, receipts not published) are not in that table but have one fixed place each, so that a
 * flood of bad requests can neither take their place nor make them wait behind the shared one.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "port/port-int.h"

/* Whether the place's next line may go out at now_ms; counts it as held back when not. */
static bool slot_allow(struct cg_port_logslot *s, int64_t now_ms, long *held)
{
    if (s->logged && now_ms - s->at_ms < CG_PORT_LOG_INTERVAL_MS) {
        s->held++;
        return false;
    }
    *held = s->held;
    s->held = 0;
    s->at_ms = now_ms;
    s->logged = true;
    return true;
}

bool cg_port_log_allow(struct cg_port *p, const char *key, int64_t now_ms, long *held)
{
    struct cg_port_logslot *s = NULL;
    struct cg_port_logslot *free_slot = NULL;
    bool allow;
    size_t i;

    *held = 0;
    pthread_mutex_lock(&p->flock);
    for (i = 0; i + 1 < CG_PORT_LOG_SLOTS; i++) {
        struct cg_port_logslot *t = &p->logslots[i];

        if (t->key[0] != '\0' && strcmp(t->key, key) == 0) {
            s = t;
            break;
        }
        /* a place that is empty, or whose key was last logged before the interval */
        if (free_slot == NULL &&
            (t->key[0] == '\0' || now_ms - t->at_ms >= CG_PORT_LOG_INTERVAL_MS))
            free_slot = t;
    }
    /* Lines the shared place held back are told by its next line, before newcomers get places
     * of their own again. */
    if (s == NULL && p->logslots[CG_PORT_LOG_SLOTS - 1].held > 0)
        s = &p->logslots[CG_PORT_LOG_SLOTS - 1];
    if (s == NULL && free_slot != NULL) {
        s = free_slot;
        cg_strlcpy(s->key, key, sizeof(s->key));
        s->at_ms = 0;
        s->logged = false;
        s->held = 0;
    }
    if (s == NULL)
        s = &p->logslots[CG_PORT_LOG_SLOTS - 1]; /* every place taken: the shared one */
    allow = slot_allow(s, now_ms, held);
    pthread_mutex_unlock(&p->flock);
    return allow;
}

bool cg_port_log_allow_own(struct cg_port *p, enum cg_port_own kind, int64_t now_ms, long *held)
{
    bool allow;

    *held = 0;
    if ((unsigned)kind >= CG_PORT_OWN_KINDS)
        kind = CG_PORT_OWN_STORE; /* not one of the kinds: bounded all the same */
    pthread_mutex_lock(&p->flock);
    allow = slot_allow(&p->ownslots[kind], now_ms, held);
    pthread_mutex_unlock(&p->flock);
    return allow;
}

void cg_port_log_held(long held, char *buf, size_t size)
{
    if (held > 0)
        snprintf(buf, size, " (and %ld more like it not logged in between)", held);
    else if (size > 0)
        buf[0] = '\0';
}
