/*
 * test-xmlmem.c - the per-thread cache of libxml2's freed small blocks (core/xmlmem.c): a freed
 * block comes back for a request of its size class and for no larger one (the smallest blocks
 * for every request of 1 to 24 bytes), blocks over the largest kept size go back to free(), a
 * block that would pass the byte bound empties the cache first, blocks of malloc() and free()
 * mix with it both ways, documents parse and serialize to the same bytes with and without it,
 * a document parsed in one thread is freed in another, and the cache is emptied by
 * cg_xmlmem_drain() and cg_lib_cleanup(). Under AddressSanitizer the cache is not installed:
 * then the same calls keep nothing and every assertion says so.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/xmlmemory.h>

#include "core/err.h"
#include "core/init.h"
#include "core/xmlmem.h"
#include "declare/declare.h"

/* The bytes the cache counts for a block: its class's guaranteed size, 16 k + 8. */
static size_t counted(void *p)
{
    return (malloc_usable_size(p) - 8) / 16 * 16 + 8;
}

/* Whether cg_lib_init installed the cache (not under AddressSanitizer). */
static int on;
/* test_cleanup, the last test, ran cg_lib_cleanup. */
static int cleaned;

static const char *testdata(void)
{
    const char *td = getenv("CG_TESTDATA");

    return td != NULL ? td : "tests/data";
}

static void test_same_class_comes_back(void **state)
{
    void *p, *q, *r;

    (void)state;
    cg_xmlmem_drain();
    assert_int_equal(cg_xmlmem_cached(), 0);
    p = xmlMalloc(100); /* glibc: 104 usable bytes, class 6 */
    assert_non_null(p);
    if (on) /* glibc's sizes: AddressSanitizer's malloc_usable_size is the size asked for */
        assert_int_equal(counted(p), 104);
    memset(p, 0xa5, 100);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), on ? 104 : 0);
    q = xmlMalloc(88); /* class 5: not p's */
    assert_non_null(q);
    if (on)
        assert_ptr_not_equal(q, p);
    r = xmlMalloc(97); /* class 6 again */
    assert_non_null(r);
    if (on) {
        assert_ptr_equal(r, p);
        assert_int_equal(cg_xmlmem_cached(), 0);
    }
    memset(r, 0, 97);
    xmlFree(q);
    xmlFree(r);
    r = xmlMemStrdup("a string of its own");
    assert_string_equal(r, "a string of its own");
    xmlFree(r);
    cg_xmlmem_drain();
    assert_int_equal(cg_xmlmem_cached(), 0);
}

static void test_largest_kept_size(void **state)
{
    size_t u;
    void *p;

    (void)state;
    cg_xmlmem_drain();
    p = xmlMalloc(505); /* glibc: 520 usable bytes, over the largest kept */
    assert_non_null(p);
    assert_true(malloc_usable_size(p) > 504);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), 0);
    p = xmlMalloc(504); /* glibc: 504 usable bytes, the largest kept */
    assert_non_null(p);
    u = malloc_usable_size(p);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), on && u <= 504 ? u : 0);
    cg_xmlmem_drain();
    assert_int_equal(cg_xmlmem_cached(), 0);
}

/* At most 1 MiB a thread: the block that would pass it gives the others back first. */
static void test_byte_bound(void **state)
{
    enum { N = 12000 }; /* 12000 * 104 (or 120) bytes: more than the 1 MiB a thread keeps */
    void **v = calloc(N, sizeof(*v));
    size_t i, want = 0, drains = 0;

    (void)state;
    assert_non_null(v);
    cg_xmlmem_drain();
    for (i = 0; i < N; i++) {
        v[i] = xmlMalloc(100);
        assert_non_null(v[i]);
    }
    for (i = 0; i < N; i++) {
        if (want + counted(v[i]) > 1024 * 1024) {
            want = 0;
            drains++;
        }
        want += counted(v[i]);
        xmlFree(v[i]);
    }
    assert_int_equal(drains, 1);
    assert_int_equal(cg_xmlmem_cached(), on ? want : 0);
    cg_xmlmem_drain();
    assert_int_equal(cg_xmlmem_cached(), 0);
    free(v);
}

/* glibc's smallest blocks (24 usable bytes) serve every request of 1 to 24 bytes. */
static void test_smallest_blocks(void **state)
{
    void *p, *q;

    (void)state;
    cg_xmlmem_drain();
    p = xmlMalloc(3);
    assert_non_null(p);
    if (on)
        assert_int_equal(malloc_usable_size(p), 24);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), on ? 24 : 0);
    q = xmlMalloc(24);
    assert_non_null(q);
    if (on)
        assert_ptr_equal(q, p);
    xmlFree(q);
    q = xmlMalloc(1);
    assert_non_null(q);
    if (on)
        assert_ptr_equal(q, p);
    xmlFree(q);
    cg_xmlmem_drain();
}

static void test_mixes_with_malloc(void **state)
{
    void *p, *q;

    (void)state;
    cg_xmlmem_drain();
    p = malloc(40); /* 40 usable bytes, class 2 */
    assert_non_null(p);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), on ? 40 : 0);
    q = xmlMalloc(33);
    assert_non_null(q);
    if (on)
        assert_ptr_equal(q, p);
    free(q); /* a block handed out by the cache is a block of malloc() */
    assert_int_equal(cg_xmlmem_cached(), 0);
    xmlFree(NULL);
    assert_int_equal(cg_xmlmem_cached(), 0);
}

static char *read_sample(size_t *len)
{
    char path[1024];
    xmlDocPtr doc = NULL;
    struct cg_err err;
    char *xml = NULL;

    snprintf(path, sizeof(path), "%s/declare/samples/202205/CEB603Message.xml", testdata());
    assert_int_equal(cg_xml_parse_file(path, &doc, &err), CG_OK);
    assert_int_equal(cg_xml_serialize(doc, &xml, len, &err), CG_OK);
    xmlFreeDoc(doc);
    return xml;
}

static char *roundtrip(const char *xml, size_t len, size_t *out_len)
{
    xmlDocPtr doc = NULL;
    struct cg_err err;
    char *out = NULL;

    assert_int_equal(cg_xml_parse(xml, len, "sample", &doc, &err), CG_OK);
    assert_int_equal(cg_xml_serialize(doc, &out, out_len, &err), CG_OK);
    xmlFreeDoc(doc);
    return out;
}

/* The same bytes from a tree whose blocks came from the cache as from one whose did not. */
static void test_same_bytes(void **state)
{
    size_t len, n1, n2, n3;
    char *xml, *a, *b, *c;

    (void)state;
    xml = read_sample(&len);
    cg_xmlmem_drain();
    a = roundtrip(xml, len, &n1);
    if (on)
        assert_true(cg_xmlmem_cached() > 0);
    b = roundtrip(xml, len, &n2); /* its blocks are those the first document freed */
    cg_xmlmem_uninstall();
    c = roundtrip(xml, len, &n3);
    assert_int_equal(cg_xmlmem_cached(), 0);
    assert_int_equal(cg_xmlmem_install(), on);
    assert_int_equal(n1, len);
    assert_int_equal(n2, len);
    assert_int_equal(n3, len);
    assert_memory_equal(a, xml, len);
    assert_memory_equal(b, xml, len);
    assert_memory_equal(c, xml, len);
    free(a);
    free(b);
    free(c);
    free(xml);
    cg_xmlmem_drain();
}

struct worker {
    const char *xml;
    size_t len;
    xmlDocPtr doc; /* parsed by the worker, freed by the main thread */
    size_t cached; /* the worker's cache after freeing a document of its own */
    size_t after;  /* and after cg_xmlmem_drain() */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    xmlDocPtr own = NULL;
    struct cg_err err;

    if (cg_xml_parse(w->xml, w->len, "worker", &w->doc, &err) != CG_OK ||
        cg_xml_parse(w->xml, w->len, "worker", &own, &err) != CG_OK)
        return NULL;
    xmlFreeDoc(own);
    w->cached = cg_xmlmem_cached();
    cg_xmlmem_drain();
    w->after = cg_xmlmem_cached();
    /* left in the cache when the thread ends: its destructor gives them back */
    xmlFreeDoc(xmlCopyDoc(w->doc, 1));
    return NULL;
}

static void test_threads(void **state)
{
    struct worker w;
    pthread_t t;
    size_t len, n;
    char *xml, *out;
    struct cg_err err;

    (void)state;
    memset(&w, 0, sizeof(w));
    xml = read_sample(&len);
    w.xml = xml;
    w.len = len;
    cg_xmlmem_drain();
    assert_int_equal(pthread_create(&t, NULL, worker_main, &w), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(w.doc);
    assert_int_equal(cg_xmlmem_cached(), 0); /* the worker's frees stayed in the worker */
    if (on) {
        assert_true(w.cached > 0);
        assert_int_equal(w.after, 0);
    } else {
        assert_int_equal(w.cached, 0);
    }
    assert_int_equal(cg_xml_serialize(w.doc, &out, &n, &err), CG_OK);
    assert_int_equal(n, len);
    assert_memory_equal(out, xml, len);
    free(out);
    xmlFreeDoc(w.doc); /* blocks of the worker's, freed here: they join this thread's cache */
    if (on)
        assert_true(cg_xmlmem_cached() > 0);
    else
        assert_int_equal(cg_xmlmem_cached(), 0);
    cg_xmlmem_drain();
    free(xml);
}

/* cg_lib_cleanup() gives the blocks back and leaves malloc() and free() to libxml2. Last. */
static void test_cleanup(void **state)
{
    size_t n;
    void *p;

    (void)state;
    p = xmlMalloc(64);
    assert_non_null(p);
    n = counted(p);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), on ? n : 0);
    cg_lib_cleanup();
    assert_int_equal(cg_xmlmem_cached(), 0);
    p = xmlMalloc(64);
    assert_non_null(p);
    xmlFree(p);
    assert_int_equal(cg_xmlmem_cached(), 0);
    cleaned = 1;
}

static int setup(void **state)
{
    (void)state;
    if (cg_lib_init(NULL) != CG_OK)
        return -1;
    on = cg_xmlmem_install();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!cleaned)
        cg_lib_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_class_comes_back),
        cmocka_unit_test(test_largest_kept_size),
        cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_smallest_blocks),
        cmocka_unit_test(test_mixes_with_malloc),
        cmocka_unit_test(test_same_bytes),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_cleanup),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
