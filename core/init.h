/*
 * init.h - process-wide library set-up and tear-down in the order the libraries need.
 *
 * cg_lib_init() starts curl, libxml2 (with network, DTD loading and entity substitution off by
 * default), xmlsec and its OpenSSL backend, and routes their errors into the logger.
 * cg_lib_cleanup() undoes it in reverse. Call each once, from main().
 */
#ifndef CG_INIT_H
#define CG_INIT_H

#include "core/err.h"

int cg_lib_init(struct cg_err *err);
void cg_lib_cleanup(void);
/* Version line of each library, for cebgate version. Borrowed static text. */
const char *cg_lib_versions(void);

#endif
