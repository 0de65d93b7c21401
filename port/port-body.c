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
 * The budget's counters are under p->flock; nothing here fails but the
 * budget.
 */
#include "config.h"

#include "port/port-int.h"

bool cg_port_body_open(struct cg_port *p, struct cg_port_body *b, long declared)
{
    size_t need = declared >= 0 ? (size_t)declared : p->max_body;
    bool ok;

    pthread_mutex_lock(&p->flock);
    ok = p->body_held <= p->body_budget && need <= p->body_budget - p->body_held;
    if (ok)
        p->body_held += need;
    else
        p->body_refused++;
    pthread_mutex_unlock(&p->flock);
    if (!ok)
        return false;
    cg_buf_free(&b->buf);
    cg_buf_init(&b->buf, need);
    b->reserved = need;
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
    pthread_mutex_unlock(&p->flock);
    b->reserved -= n;
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
