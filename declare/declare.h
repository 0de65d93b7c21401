/*
 * declare.h - CEB export messages: safe XML parsing, building, schema validation, XML-DSig
 * signing and verification, receipt parsing, and the DXP envelope.
 *
 * Documents are libxml2 trees (xmlDocPtr) owned by whoever received them; free them with
 * xmlFreeDoc(). Every function returns enum cg_rc and fills struct cg_err with words a person
 * can act on (which element, which order, what exactly failed).
 */
#ifndef CG_DECLARE_H
#define CG_DECLARE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "core/err.h"
#include "mapping/mapping.h"

#define CG_NS_CEB "http://www.chinaport.gov.cn/ceb"
#define CG_NS_DS "http://www.w3.org/2000/09/xmldsig#"
#define CG_NS_DXP "http://www.chinaport.gov.cn/dxp"
#define CG_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* ------------------------------------------------------------------ safe XML */

/* Largest XML document cebgate parses (bytes). */
#define CG_XML_MAX (64u * 1024u * 1024u)

/*
 * Parse untrusted XML: no network, no DTD loading, no entity substitution, no XInclude, and a
 * document carrying a DOCTYPE at all is refused (CG_EPARSE), so neither external entities nor
 * entity expansion bombs get anywhere. name is used in messages. *out is the caller's.
 */
int cg_xml_parse(const char *buf, size_t len, const char *name, xmlDocPtr *out,
                 struct cg_err *err);
/* The same for a file (read with cg_fs_read, at most CG_XML_MAX bytes). */
int cg_xml_parse_file(const char *path, xmlDocPtr *out, struct cg_err *err);
/* Serialize as UTF-8 with an XML declaration; *out (caller frees with free()). */
int cg_xml_serialize(xmlDocPtr doc, char **out, size_t *len, struct cg_err *err);

/* ------------------------------------------------------------------ messages and schemas */

/* ------------------------------------------------------------------ signing and verifying */

/* ------------------------------------------------------------------ receipts */

/* ------------------------------------------------------------------ DXP envelope */

#endif
