/*
 * port-bounds.c - bounds on the shape of a POSTed message, checked on its bytes before libxml2
 * parses it.
 *
 * libxml2 checks an element's attributes for duplicates pairwise, so one element with 100,000
 * attributes costs seconds of CPU; it also keeps every element of the tree. Canonicalizing for
 * the signature check (xmlC14NExecute) costs, for each element, the square of the namespaces in
 * scope there: 45 nested elements declaring 60 namespaces each took 48 s of CPU over 1,000
 * elements, so namespace declarations are bounded too, per element and in the whole message
 * (CEB messages declare two or three). This pass only counts (start tags, attributes and
 * namespace declarations per start tag, namespace declarations in all, nesting depth, the
 * length of a text run or an attribute value) in one linear walk over the bytes, skipping comments,
 * CDATA sections, processing instructions and declarations; it does not decide whether the message
 * is well-formed, which stays libxml2's job. Nothing is allocated; a passed bound is reported in
 * why. The same pass runs on the part of a body received so far (cg_port_xml_bounds_prefix), so
 * that a message over a bound is refused before the rest of it is read and kept.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
