/*
 * xmlmem.c - libxml2's (and xmlsec's) allocations through a per-thread cache of freed small
 * blocks.
 *
 * A parsed message is a few thousand small blocks (nodes, names, texts) that are all freed
 * together with the document, and the next message allocates the same blocks again. glibc
 * keeps only 7 freed blocks of a size in its per-thread cache; the rest go to its fast bins,
 * and the next allocation of 1 KiB or more (the parser's input buffer, at the start of the
 * next parse) merges all of them into large free chunks, from which the next document's blocks
 * are then cut one by one again. Signing a 26 KB CEB603 spent about a tenth of its time there.
 * Here a freed block of at most MAX_SMALL usable bytes goes on a list of the freeing thread, by
 * its size, and comes back for a request that it fits.
 *
 * Every block stays a block of malloc(): any thread may free it with free() or xmlFree(), and a
 * block of malloc() may be given to xmlFree(). Only the lists are per thread: nothing is shared
 * and nothing is locked. A thread keeps at most KEEP_BYTES bytes: a block that would pass that
 * gives all the others back to free() first. A thread's blocks go back to free() when it ends (a
 * thread-specific destructor), on cg_xmlmem_drain(), and on cg_xmlmem_uninstall() for the calling
 * thread (cg_lib_cleanup()). Under AddressSanitizer the cache is not installed, so that a use after
 * free is still found.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlmemory.h>

#include "core/xmlmem.h"

#if defined(__SANITIZE_ADDRESS__)
#define NO_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_CACHE 1
#endif
#endif

#ifndef NO_CACHE

#define MAX_SMALL 504u /* largest usable size kept */
#define NCLASS ((MAX_SMALL - 8u) / 16u + 1u)
#define KEEP_BYTES (1024u * 1024u)

struct block {
    struct block *next;
};

struct cache {
    struct block *head[NCLASS];
    size_t bytes;   /* usable bytes on the lists, by class */
    int registered; /* the destructor will run for this thread */
    int exiting;    /* the destructor ran: free() from now on */
};

static __thread struct cache tc;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_ok;

/*
 * Class k holds blocks of at least 16 k + 8 usable bytes (malloc_usable_size), so a request of n
 * bytes takes from the smallest class that guarantees n; class 0 is not used. With glibc, whose
 * chunks are multiples of 16 bytes with 8 bytes of overhead, a class is exactly one chunk size: the
 * block a request gets from the list is the size malloc() would have given it.
 */
static inline size_t class_of_block(size_t usable)
{
    return (usable - 8u) / 16u;
}

/* Requests of 24 bytes or less take class 1, where glibc's smallest chunk (24 usable bytes) is:
 * else the blocks malloc() gives for 1 to 8 bytes, freed, would pile up there unused. */
static inline size_t class_of_request(size_t n)
{
    return n <= 24u ? 1 : (n - 8u + 15u) / 16u;
}

static void drain(struct cache *c)
{
    size_t i;
    struct block *b;

    for (i = 0; i < NCLASS; i++) {
        while ((b = c->head[i]) != NULL) {
            c->head[i] = b->next;
            free(b);
        }
    }
    c->bytes = 0;
}

static void thread_end(void *arg)
{
    (void)arg;
    tc.exiting = 1;
    drain(&tc);
}

static void make_key(void)
{
    key_ok = pthread_key_create(&exit_key, thread_end) == 0;
}

static void *mem_malloc(size_t n)
{
    size_t k;
    struct block *b;

    if (n <= MAX_SMALL) {
        k = class_of_request(n);
        b = tc.head[k];
        if (b != NULL) {
            tc.head[k] = b->next;
            tc.bytes -= 16u * k + 8u;
            return b;
        }
    }
    return malloc(n);
}

static void mem_free(void *p)
{
    size_t u, k;
    struct block *b = p;

    if (p == NULL)
        return;
    u = malloc_usable_size(p);
    k = class_of_block(u);
    if (u < 24u || u > MAX_SMALL || tc.exiting) {
        free(p);
        return;
    }
    /* Full: start again from this block, so that a mix of sizes the thread no longer asks for
     * cannot keep the cache full for the rest of its life. */
    if (tc.bytes + 16u * k + 8u > KEEP_BYTES)
        drain(&tc);
    if (!tc.registered) {
        /* Blocks are kept only where the destructor will give them back. */
        if (!key_ok || pthread_setspecific(exit_key, &tc) != 0) {
            free(p);
            return;
        }
        tc.registered = 1;
    }
    /* Counted as its class's size: what a request taking it back will be given. */
    b->next = tc.head[k];
    tc.head[k] = b;
    tc.bytes += 16u * k + 8u;
}

static void *mem_realloc(void *p, size_t n)
{
    return realloc(p, n);
}

static char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = mem_malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

int cg_xmlmem_install(void)
{
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return 0;
    return xmlMemSetup(mem_free, mem_malloc, mem_realloc, mem_strdup) == 0;
}

void cg_xmlmem_uninstall(void)
{
    xmlMemSetup(free, malloc, realloc, strdup);
    drain(&tc);
}

void cg_xmlmem_drain(void)
{
    drain(&tc);
}

size_t cg_xmlmem_cached(void)
{
    return tc.bytes;
}

#else /* NO_CACHE: libxml2 keeps malloc() and free() */

int cg_xmlmem_install(void)
{
    return 0;
}

void cg_xmlmem_uninstall(void)
{
}

void cg_xmlmem_drain(void)
{
}

size_t cg_xmlmem_cached(void)
{
    return 0;
}

#endif
