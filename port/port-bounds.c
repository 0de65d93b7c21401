/*
 * port-bounds.c - bounds on the shape of a POSTed message, checked on its bytes before libxml2
 * parses it.
 *
 * libxml2 checks an element's attributes for duplicates pairwise, so one element with 100,000
 * attributes costs seconds of CPU; it also keeps every element of the tree. Canonicalizing for
 * the signature check (xmlC14NExecute) costs, for each element, the square of the namespaces in
 * scope there: 45 nested elements declaring 60 namespaces each took 48 s of CPU over 1,000
 * elements, so namespace declarations are bounded too, per element and in the whole message
 * (CEB messages declare two or three). libxml2 keeps every attribute as two nodes (the
 * attribute and its text, about 250 bytes): 600,000 empty attributes, 64 to an element, in a
 * 4 MiB body took 150 MB, so attributes are bounded in the whole message too (CEB messages have
 * a handful). This pass only counts (start tags, attributes and namespace declarations per start
 * tag, attributes and namespace declarations in all, nesting depth, the
 * length of a text run or an attribute value; comments, CDATA sections and processing instructions
 * count as elements, being nodes of the tree as well) in one linear walk over the bytes, skipping
 * their content and declarations; it does not decide whether the message
 * is well-formed, which stays libxml2's job. Nothing is allocated; a passed bound is reported in
 * why. Counting bytes is only right for UTF-8, so cg_port_xml_utf8 refuses any body that libxml2
 * would decode from another encoding (EBCDIC, UTF-16, or whatever its declaration names). The same
 * pass runs on the part of a body received so far (cg_port_xml_bounds_prefix), so that a message
 * over a bound is refused before the rest of it is read and kept.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "port/port-int.h"

/* Index of the end marker starting at or after i, or len when there is none. */
static size_t skip_to(const char *b, size_t len, size_t i, const char *end)
{
    size_t n = strlen(end);

    while (i + n <= len) {
        if (memcmp(b + i, end, n) == 0)
            return i + n;
        i++;
    }
    return len;
}

static bool starts(const char *b, size_t len, size_t i, const char *s)
{
    size_t n = strlen(s);

    return i + n <= len && memcmp(b + i, s, n) == 0;
}

static bool space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * Whether the attribute whose value opens with the quote at q (inside a start tag that begins
 * at tag) is a namespace declaration: its name is xmlns or starts with xmlns:. Walks back over
 * "name = " only, so over all attributes of a tag it reads each byte at most once more.
 */
static bool ns_decl(const char *b, size_t tag, size_t q)
{
    size_t i = q;
    size_t end;

    while (i > tag && space(b[i - 1]))
        i--;
    if (i == tag || b[i - 1] != '=')
        return false;
    i--;
    while (i > tag && space(b[i - 1]))
        i--;
    end = i;
    while (i > tag && !space(b[i - 1]) && b[i - 1] != '"' && b[i - 1] != '\'' && b[i - 1] != '<')
        i--;
    return (end - i == 5 && memcmp(b + i, "xmlns", 5) == 0) ||
           (end - i > 6 && memcmp(b + i, "xmlns:", 6) == 0);
}

int cg_port_xml_bounds(const struct cg_port *p, const char *b, size_t len, char *why, size_t size)
{
    size_t i = 0;
    size_t text = 0;
    long elements = 0;
    long depth = 0;
    long namespaces = 0;
    long all_attrs = 0;
    long attrs;
    long el_namespaces;
    size_t tag;
    size_t vstart;
    char q;

    while (i < len) {
        if (b[i] != '<') {
            if ((long)++text > p->max_text) {
                snprintf(why, size, "a text of more than %ld bytes (max_text)", p->max_text);
                return CG_EREJECT;
            }
            i++;
            continue;
        }
        text = 0;
        /* each is a node of libxml2's tree as an element is (838,000 empty processing
         * instructions in 4 MiB took 113 MB to parse): counted with the elements */
        if ((starts(b, len, i, "<!--") || starts(b, len, i, "<![CDATA[") ||
             starts(b, len, i, "<?")) &&
            ++elements > p->max_elements) {
            snprintf(why, size,
                     "more than %ld elements, comments, processing instructions and CDATA "
                     "sections (max_elements)",
                     p->max_elements);
            return CG_EREJECT;
        }
        if (starts(b, len, i, "<!--")) {
            i = skip_to(b, len, i + 4, "-->");
        } else if (starts(b, len, i, "<![CDATA[")) {
            vstart = i + 9;
            i = skip_to(b, len, vstart, "]]>");
            if ((long)(i - vstart) > p->max_text + 3) {
                snprintf(why, size, "a CDATA section of more than %ld bytes (max_text)",
                         p->max_text);
                return CG_EREJECT;
            }
        } else if (starts(b, len, i, "<?")) {
            i = skip_to(b, len, i + 2, "?>");
        } else if (starts(b, len, i, "<!")) {
            i = skip_to(b, len, i + 2, ">");
        } else if (starts(b, len, i, "</")) {
            depth--;
            i = skip_to(b, len, i + 2, ">");
        } else {
            if (++elements > p->max_elements) {
                snprintf(why, size, "more than %ld elements (max_elements)", p->max_elements);
                return CG_EREJECT;
            }
            if (++depth > p->max_depth) {
                snprintf(why, size, "elements nested deeper than %ld (max_depth)", p->max_depth);
                return CG_EREJECT;
            }
            attrs = 0;
            el_namespaces = 0;
            tag = i;
            for (i++; i < len && b[i] != '>'; i++) {
                if (b[i] == '/' && i + 1 < len && b[i + 1] == '>') {
                    depth--;
                    continue;
                }
                if (b[i] != '"' && b[i] != '\'')
                    continue;
                if (++attrs > p->max_attributes) {
                    snprintf(why, size,
                             "an element with more than %ld attributes "
                             "(max_attributes)",
                             p->max_attributes);
                    return CG_EREJECT;
                }
                if (++all_attrs > p->max_total_attributes) {
                    snprintf(why, size, "more than %ld attributes in all (max_total_attributes)",
                             p->max_total_attributes);
                    return CG_EREJECT;
                }
                if (ns_decl(b, tag, i)) {
                    if (++el_namespaces > p->max_element_namespaces) {
                        snprintf(why, size,
                                 "an element with more than %ld namespace declarations "
                                 "(max_element_namespaces)",
                                 p->max_element_namespaces);
                        return CG_EREJECT;
                    }
                    if (++namespaces > p->max_namespaces) {
                        snprintf(why, size, "more than %ld namespace declarations (max_namespaces)",
                                 p->max_namespaces);
                        return CG_EREJECT;
                    }
                }
                q = b[i];
                vstart = i + 1;
                for (i = vstart; i < len && b[i] != q; i++)
                    ;
                if ((long)(i - vstart) > p->max_text) {
                    snprintf(why, size, "an attribute value of more than %ld bytes (max_text)",
                             p->max_text);
                    return CG_EREJECT;
                }
            }
            i++;
        }
    }
    return CG_OK;
}

size_t cg_port_xml_bounds_prefix(const char *b, size_t len)
{
    const size_t window = sizeof("<![CDATA[") - 1; /* the most cg_port_xml_bounds looks ahead */
    size_t cut = len;
    size_t i = len;

    /* a '<' with fewer than window bytes after it could start anything: cut before it */
    while (i > 0 && cut - i < window) {
        i--;
        if (b[i] == '<' && i + window > cut)
            cut = i;
    }
    return cut;
}

/* Whether s (n bytes) names UTF-8, in any case. */
static bool names_utf8(const char *s, size_t n)
{
    return n == 5 && strncasecmp(s, "UTF-8", 5) == 0;
}

/*
 * The encoding named by the XML declaration that opens b, as its value's first byte and length
 * (*val NULL when there is no declaration or it names no encoding). The declaration is read up
 * to its "?>"; "encoding" in it must be followed by '=' and a quoted value, else CG_EREJECT.
 */
static int decl_encoding(const char *b, size_t len, const char **val, size_t *n)
{
    size_t end;
    size_t i;
    char q;

    *val = NULL;
    *n = 0;
    if (!starts(b, len, 0, "<?xml") || len < 6 || !space(b[5]))
        return CG_OK;
    end = skip_to(b, len, 5, "?>");
    for (i = 5; i + 8 <= end; i++)
        if (memcmp(b + i, "encoding", 8) == 0)
            break;
    if (i + 8 > end)
        return CG_OK;
    for (i += 8; i < end && space(b[i]); i++)
        ;
    if (i >= end || b[i] != '=')
        return CG_EREJECT;
    for (i++; i < end && space(b[i]); i++)
        ;
    if (i >= end || (b[i] != '"' && b[i] != '\''))
        return CG_EREJECT;
    q = b[i++];
    *val = b + i;
    while (i < end && b[i] != q)
        i++;
    if (i >= end)
        return CG_EREJECT;
    *n = (size_t)(b + i - *val);
    return CG_OK;
}

/* An encoding name as XML writes them: a letter, then letters, digits, '.', '_' and '-'. */
static bool enc_name(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > 40 || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
        return false;
    for (i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

int cg_port_xml_utf8(const char *b, size_t len, char *why, size_t size)
{
    const char *body = b;
    const char *nul;
    const char *val;
    size_t n;

    if (len >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0) {
        b += 3;
        len -= 3;
    }
    if (len > 0 && b[0] != '<' && !space(b[0])) {
        snprintf(why, size,
                 "message does not start with '<', white space or the UTF-8 byte order mark: a "
                 "CEB message is XML in UTF-8");
        return CG_EREJECT;
    }
    nul = memchr(b, '\0', len);
    if (nul != NULL) {
        snprintf(why, size,
                 "message is not UTF-8: byte %zu is a NUL byte (UTF-16 or UTF-32?); a CEB "
                 "message is XML in UTF-8",
                 (size_t)(nul - body) + 1);
        return CG_EREJECT;
    }
    if (decl_encoding(b, len, &val, &n) != CG_OK || (val != NULL && !names_utf8(val, n))) {
        if (val != NULL && enc_name(val, n))
            snprintf(why, size,
                     "the XML declaration names encoding %.*s: a CEB message is XML in UTF-8",
                     (int)n, val);
        else
            snprintf(why, size,
                     "the XML declaration names an encoding other than UTF-8: a CEB message is "
                     "XML in UTF-8");
        return CG_EREJECT;
    }
    return CG_OK;
}

int cg_port_xml_prolog(const char *b, size_t len)
{
    size_t i = 0;

    /* the prolog: white space, comments, processing instructions and the DOCTYPE, up to the
     * root's start tag; a '<!' there that opens no comment can only be a declaration */
    while (i < len) {
        if (b[i] != '<') {
            i++;
        } else if (starts(b, len, i, "<!--")) {
            i = skip_to(b, len, i + 4, "-->");
        } else if (starts(b, len, i, "<?")) {
            i = skip_to(b, len, i + 2, "?>");
        } else if (starts(b, len, i, "<!")) {
            return CG_EREJECT;
        } else {
            return CG_OK; /* the root element */
        }
    }
    return CG_OK;
}
