/*
 * declare-certcache.c - the signing certificates a cg_trust has decoded and checked, kept so
 * that the next message signed with the same certificate does not decode it again.
 *
 * An entry is found by the SHA-256 of the certificate's exact DER bytes, so a different
 * certificate (another key under the same subject, one byte changed) is never served from it.
 * It keeps what depends on those bytes alone: the decoded X509, the answer of
 * cg_sign_cert_check (a refusal is kept too, and given again), the subject, serial and end of
 * validity as reports print them. The chain X509_verify_cert built is kept once it verified,
 * and reused only while every certificate in it is within its validity period at the time of
 * use; a failed chain is not kept. The cache holds at most max entries and drops the least
 * recently used one to take a new one. An entry lives while the cache or a caller holds it
 * (reference counted), so a caller's entry stays valid when another thread evicts it. One
 * mutex guards the table and the counts; entries are read-only once added, but for the chain,
 * which is set once under the mutex. Out of memory only ever means "not cached".
 * Owner: the signing part of declare/.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "declare/declare-sign-int.h"

struct cg_cert_cache {
    pthread_mutex_t lock;
    struct cg_cert_entry **tab;
    size_t n;
    size_t max;
    uint64_t tick;
};

int cg_cert_cache_new(size_t max, struct cg_cert_cache **out)
{
    struct cg_cert_cache *c = calloc(1, sizeof(*c));

    if (c == NULL || max == 0 || (c->tab = calloc(max, sizeof(*c->tab))) == NULL) {
        free(c);
        return CG_ENOMEM;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max = max;
    *out = c;
    return CG_OK;
}

void cg_cert_entry_free(struct cg_cert_entry *e)
{
    if (e == NULL)
        return;
    X509_free(e->cert);
    sk_X509_pop_free(e->chain, X509_free);
    free(e);
}

/* Take e out of the table at i (lock held); freed now unless a caller still holds it. */
static void drop_at(struct cg_cert_cache *c, size_t i)
{
    struct cg_cert_entry *e = c->tab[i];

    c->tab[i] = c->tab[--c->n];
    c->tab[c->n] = NULL;
    e->in_cache = 0;
    if (e->refs == 0)
        cg_cert_entry_free(e);
}

void cg_cert_cache_clear(struct cg_cert_cache *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    while (c->n > 0)
        drop_at(c, c->n - 1);
    pthread_mutex_unlock(&c->lock);
}

void cg_cert_cache_free(struct cg_cert_cache *c)
{
    if (c == NULL)
        return;
    cg_cert_cache_clear(c);
    pthread_mutex_destroy(&c->lock);
    free(c->tab);
    free(c);
}

int cg_cert_cache_set_max(struct cg_cert_cache *c, size_t max)
{
    struct cg_cert_entry **tab;

    if (max == 0)
        return CG_EINVAL;
    pthread_mutex_lock(&c->lock);
    while (c->n > max)
        drop_at(c, 0);
    tab = realloc(c->tab, max * sizeof(*tab));
    if (tab != NULL) {
        c->tab = tab;
        c->max = max;
    }
    pthread_mutex_unlock(&c->lock);
    return tab != NULL ? CG_OK : CG_ENOMEM;
}

size_t cg_cert_cache_count(struct cg_cert_cache *c)
{
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->n;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* The entry of sha in the table (lock held), or NULL. */
static struct cg_cert_entry *find(struct cg_cert_cache *c, const unsigned char sha[32])
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (memcmp(c->tab[i]->sha, sha, 32) == 0)
            return c->tab[i];
    return NULL;
}

struct cg_cert_entry *cg_cert_cache_get(struct cg_cert_cache *c, const unsigned char sha[32])
{
    struct cg_cert_entry *e;

    if (c == NULL)
        return NULL;
    pthread_mutex_lock(&c->lock);
    e = find(c, sha);
    if (e != NULL) {
        e->refs++;
        e->used = ++c->tick;
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

struct cg_cert_entry *cg_cert_cache_add(struct cg_cert_cache *c, struct cg_cert_entry *e)
{
    struct cg_cert_entry *have;
    size_t i, old = 0;

    e->refs = 1;
    if (c == NULL)
        return e;
    pthread_mutex_lock(&c->lock);
    have = find(c, e->sha);
    if (have != NULL) {
        /* another thread decoded the same certificate meanwhile: one entry is enough */
        have->refs++;
        have->used = ++c->tick;
        pthread_mutex_unlock(&c->lock);
        cg_cert_entry_free(e);
        return have;
    }
    if (c->n == c->max) {
        for (i = 1; i < c->n; i++)
            if (c->tab[i]->used < c->tab[old]->used)
                old = i;
        drop_at(c, old);
    }
    e->in_cache = 1;
    e->used = ++c->tick;
    c->tab[c->n++] = e;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void cg_cert_cache_put(struct cg_cert_cache *c, struct cg_cert_entry *e)
{
    int gone;

    if (e == NULL)
        return;
    if (c == NULL) {
        cg_cert_entry_free(e);
        return;
    }
    pthread_mutex_lock(&c->lock);
    gone = --e->refs == 0 && !e->in_cache;
    pthread_mutex_unlock(&c->lock);
    if (gone)
        cg_cert_entry_free(e);
}

STACK_OF(X509) * cg_cert_cache_chain(struct cg_cert_cache *c, struct cg_cert_entry *e)
{
    STACK_OF(X509) * chain;

    if (c == NULL)
        return NULL;
    pthread_mutex_lock(&c->lock);
    chain = e->chain;
    pthread_mutex_unlock(&c->lock);
    return chain;
}

void cg_cert_cache_set_chain(struct cg_cert_cache *c, struct cg_cert_entry *e,
                             STACK_OF(X509) * chain)
{
    if (c == NULL) {
        sk_X509_pop_free(chain, X509_free);
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (e->chain == NULL) {
        e->chain = chain;
        chain = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    sk_X509_pop_free(chain, X509_free);
}
