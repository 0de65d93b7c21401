/*
 * c14n-check.h - test helper: the canonical bytes of declare-c14n.c compared with libxml2's
 * xmlC14NDocDumpMemory for the same document or subtree (cmocka assertions).
 */
#ifndef CG_TEST_C14N_CHECK_H
#define CG_TEST_C14N_CHECK_H

#include <libxml/tree.h>

/*
 * cg_c14n_fast() of the whole document; when it returns CG_OK its bytes must equal libxml2's
 * inclusive C14N 1.0 without comments (else the test fails). Returns what cg_c14n_fast did.
 */
int c14n_check_doc(xmlDocPtr doc);

/*
 * The same for the subtree of element e, against libxml2 given the node set XML-DSig uses for
 * a subtree: (.//. | .//@* | .//namespace::*) from e.
 */
int c14n_check_subtree(xmlNodePtr e);

#endif
