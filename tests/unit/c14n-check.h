/*
 * c14n-check.h - test helper: the canonical bytes of declare-c14n.c compared with libxml2's
 * xmlC14NDocDumpMemory for the same document or subtree, cg_c14n_bytes' with libxml2's of the
 * parsed bytes, and the serialized bytes of
 * declare-save.c with xmlDocDumpMemoryEnc (unit tests and a fuzz target).
 */
#ifndef CG_TEST_C14N_CHECK_H
#define CG_TEST_C14N_CHECK_H

#include <libxml/tree.h>

/*
 * cg_c14n_fast() of the whole document: its return code when it wrote nothing or bytes equal
 * to libxml2's inclusive C14N 1.0 without comments; CG_ERR, with both forms on stderr, when
 * they differ or libxml2 cannot canonicalize what cg_c14n_fast wrote.
 */
int c14n_check_doc(xmlDocPtr doc);

/*
 * The same for the subtree of element e, against libxml2 given the node set XML-DSig uses for
 * a subtree: (.//. | .//@* | .//namespace::*) from e.
 */
int c14n_check_subtree(xmlNodePtr e);

/*
 * cg_xml_save_fast() of doc: its return code when it wrote nothing or bytes equal to libxml2's
 * xmlDocDumpMemoryEnc(doc, .., "UTF-8"); CG_ERR, with both forms on stderr, when they differ.
 * cg_xml_serialize() of doc must give libxml2's bytes either way (CG_ERR if not).
 */
int save_check_doc(xmlDocPtr doc);

/*
 * cg_c14n_bytes() of the len bytes of xml: its return code when it wrote nothing or bytes equal
 * to libxml2's C14N of the tree cg_xml_parse() builds of them, the SignedInfo namespaces libxml2
 * renders on a ds:SignedInfo of a ds:Signature appended to that root, and a root_end where an
 * inserted element becomes the root's last child; CG_ERR, with the difference on stderr, when
 * any of these does not hold.
 */
int c14n_check_bytes(const char *xml, size_t len);

#endif
