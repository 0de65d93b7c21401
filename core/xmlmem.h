/*
 * xmlmem.h - libxml2's allocator with a per-thread cache of freed small blocks (xmlmem.c).
 *
 * cg_lib_init() installs it and cg_lib_cleanup() removes it; nothing else needs to call these.
 */
#ifndef CG_XMLMEM_H
#define CG_XMLMEM_H

#include <stddef.h>

/* Route libxml2's xmlMalloc/xmlFree/xmlMemStrdup through the cache. 1 when installed, 0 when
 * not (under AddressSanitizer, or when a thread key cannot be made): libxml2 then keeps
 * malloc() and free(). */
int cg_xmlmem_install(void);
/* Back to malloc() and free(); the calling thread's cached blocks are freed. */
void cg_xmlmem_uninstall(void);
/* Free the calling thread's cached blocks (threads' own are freed when they end). */
void cg_xmlmem_drain(void);
/* Bytes the calling thread keeps cached. */
size_t cg_xmlmem_cached(void);

#endif
