/*
 * port-body.c - the bodies of POSTed messages the port holds, and the budget they share.
 *
 * Every connection may hold a body of up to max_body bytes, so max_connections of them could
 * hold their product (1 GiB by default). A body therefore takes its part of [port] body_budget
 * before any of it is read: the length it declares (Content-Length), or max_body for a chunked
 * body, whose length is known only once it has ended (then what it does not use is given
 * back). Its buffer's ceiling is that same part, so a body never holds more memory than it
 * took. When the part does not fit the caller answers 503 without reading the body. The part
 * is given back when the body is dropped (over a bound while it arrives) or its request ends,
 * however it ends. A page of receipts (GET /receipts) is held by the same budget: it takes
 * receipts_page_bytes before it is built, and keeps its own length until it has been sent.
 * The same bytes are taken from the share of the sender asking, sender_budget: without it one
 * sender's connections, each declaring max_body, could hold the whole budget for read_deadline
 * and every other sender would be answered 503 meanwhile. Both are taken and given back
 * together, under one lock, so neither can be left holding what the other gave back.
 * The budget's counters are under p->flock; nothing here fails but the
 * budget.
 */
#include "config.h"

#include <assert.h>

#include "port/port-int.h"

/* need more bytes fit beside held within budget */
static bool fits(size_t held, size_t budget, size_t need)
{
    return held <= budget && need <= budget - held;
}

bool cg_port_body_open(struct cg_port *p, struct cg_port_body *b, const struct cg_port_sender *from,
                       long declared, const char **over)
{
    size_t need = declared >= 0 ? (size_t)declared : p->max_body;
    struct cg_port_sender *s = from != NULL ? &p->senders[from - p->senders] : NULL;
    const char *full = NULL;

    assert(b->reserved == 0);
    pthread_mutex_lock(&p->flock);
    /* The port's budget first: with sender_budget = body_budget the share never refuses. */
    if (!fits(p->body_held, p->body_budget, need)) {
        full = "body_budget";
        p->body_refused++;
    } else if (s != NULL && !fits(s->body_held, p->sender_budget, need)) {
        full = "sender_budget";
        p->share_refused++;
    } else {
        p->body_held += need;
        if (s != NULL)
            s->body_held += need;
    }
    pthread_mutex_unlock(&p->flock);
    if (full != NULL) {
        if (over != NULL)
            *over = full;
        return false;
    }
    cg_buf_free(&b->buf);
    cg_buf_init(&b->buf, need);
    b->reserved = need;
    b->sender = s;
    return true;
}

static void give_back(struct cg_port *p, struct cg_port_body *b, size_t n)
{
    if (n > b->reserved)
        n = b->reserved;
    if (n == 0)
        return;
    pthread_mutex_lock(&p->flock);
    p->body_held -= n;
    if (b->sender != NULL)
        b->sender->body_held -= n;
    pthread_mutex_unlock(&p->flock);
    b->reserved -= n;
    if (b->reserved == 0)
        b->sender = NULL;
}

void cg_port_body_keep(struct cg_port *p, struct cg_port_body *b, size_t n)
{
    give_back(p, b, b->reserved > n ? b->reserved - n : 0);
}

void cg_port_body_fit(struct cg_port *p, struct cg_port_body *b)
{
    cg_port_body_keep(p, b, b->buf.len);
}

void cg_port_body_close(struct cg_port *p, struct cg_port_body *b)
{
    cg_buf_free(&b->buf);
    give_back(p, b, b->reserved);
}

void cg_port_body_usage(struct cg_port *p, size_t *held, long *refused)
{
    pthread_mutex_lock(&p->flock);
    *held = p->body_held;
    *refused = p->body_refused;
    pthread_mutex_unlock(&p->flock);
}

void cg_port_body_share(struct cg_port *p, const struct cg_port_sender *s, size_t *held,
                        long *refused)
{
    pthread_mutex_lock(&p->flock);
    *held = s->body_held;
    *refused = p->share_refused;
    pthread_mutex_unlock(&p->flock);
}
