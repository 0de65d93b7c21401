/*
 * declare-dxp.c - the DXP terminal envelope (dxp:DxpMsg) around a CEB message.
 *
 * cg_dxp_wrap() builds, with the libxml2 tree API, the envelope of dxp-terminal.xsd:
 * <dxp:DxpMsg ver="1.0"> TransInfo{CopMsgId, SenderId, ReceiverIds/ReceiverId, CreatTime,
 * MsgType} and Data = base64 of the (signed) CEB document, CreatTime in China time. Field
 * lengths are checked against the schema limits before anything is built. cg_dxp_unwrap()
 * returns the decoded Data of a parsed envelope (namespace-aware; CG_ENOTFOUND when the root is
 * not a DxpMsg, CG_EPARSE when Data is missing or not base64, CG_ERANGE above CG_XML_MAX).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "declare/declare.h"

/* The schema's maxLength counts characters: a UTF-8 value is measured in characters. */
static int check_len(const char *what, const char *v, size_t max, struct cg_err *err)
{
    if (v == NULL || v[0] == '\0')
        return CG_ERR_SET(err, CG_EINVAL, "DxpMsg: %s is missing", what);
    if (!xmlCheckUTF8((const unsigned char *)v))
        return CG_ERR_SET(err, CG_EINVAL, "DxpMsg: %s is not valid UTF-8", what);
    if ((size_t)xmlUTF8Strlen((const xmlChar *)v) > max)
        return CG_ERR_SET(err, CG_ERANGE, "DxpMsg: %s '%s' is longer than %zu characters", what, v,
                          max);
    return CG_OK;
}

int cg_dxp_wrap(const char *xml, size_t len, const char *msg_type, const char *sender,
                const char *receiver, const char *cop_msg_id, char **out, size_t *outlen,
                struct cg_err *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root, ti, ids;
    xmlNsPtr ns;
    unsigned char *b64 = NULL;
    char when[15], ct[20];
    int rc;

    if ((rc = check_len("MsgType", msg_type, 30, err)) != CG_OK ||
        (rc = check_len("SenderId", sender, CG_DXP_ID_MAX, err)) != CG_OK ||
        (rc = check_len("ReceiverId", receiver, CG_DXP_ID_MAX, err)) != CG_OK ||
        (rc = check_len("CopMsgId", cop_msg_id, 255, err)) != CG_OK)
        return rc;
    if (xml == NULL || len == 0)
        return CG_ERR_SET(err, CG_EINVAL, "DxpMsg: no message to wrap");
    if (len > CG_XML_MAX)
        return CG_ERR_SET(err, CG_ERANGE, "DxpMsg: message of %zu bytes is over the limit", len);
    b64 = malloc(4 * ((len + 2) / 3) + 1);
    if (b64 == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    EVP_EncodeBlock(b64, (const unsigned char *)xml, (int)len);
    /* CreatTime is an xs:dateTime, written in China time like every customs time. */
    cg_ceb_time(time(NULL), when);
    memcpy(ct, when, 4);
    ct[4] = '-';
    memcpy(ct + 5, when + 4, 2);
    ct[7] = '-';
    memcpy(ct + 8, when + 6, 2);
    ct[10] = 'T';
    memcpy(ct + 11, when + 8, 2);
    ct[13] = ':';
    memcpy(ct + 14, when + 10, 2);
    ct[16] = ':';
    memcpy(ct + 17, when + 12, 2);
    ct[19] = '\0';

    rc = CG_ENOMEM;
    doc = xmlNewDoc((const xmlChar *)"1.0");
    root = doc != NULL ? xmlNewDocNode(doc, NULL, (const xmlChar *)"DxpMsg", NULL) : NULL;
    if (root == NULL)
        goto oom;
    xmlDocSetRootElement(doc, root);
    ns = xmlNewNs(root, (const xmlChar *)CG_NS_DXP, (const xmlChar *)"dxp");
    if (ns == NULL || xmlNewProp(root, (const xmlChar *)"ver", (const xmlChar *)"1.0") == NULL)
        goto oom;
    xmlSetNs(root, ns);
    ti = xmlNewChild(root, ns, (const xmlChar *)"TransInfo", NULL);
    if (ti == NULL ||
        xmlNewTextChild(ti, ns, (const xmlChar *)"CopMsgId", (const xmlChar *)cop_msg_id) == NULL ||
        xmlNewTextChild(ti, ns, (const xmlChar *)"SenderId", (const xmlChar *)sender) == NULL)
        goto oom;
    ids = xmlNewChild(ti, ns, (const xmlChar *)"ReceiverIds", NULL);
    if (ids == NULL ||
        xmlNewTextChild(ids, ns, (const xmlChar *)"ReceiverId", (const xmlChar *)receiver) ==
            NULL ||
        xmlNewTextChild(ti, ns, (const xmlChar *)"CreatTime", (const xmlChar *)ct) == NULL ||
        xmlNewTextChild(ti, ns, (const xmlChar *)"MsgType", (const xmlChar *)msg_type) == NULL ||
        xmlNewTextChild(root, ns, (const xmlChar *)"Data", b64) == NULL)
        goto oom;
    rc = cg_xml_serialize(doc, out, outlen, err);
    goto done;
oom:
    rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
done:
    xmlFreeDoc(doc);
    free(b64);
    return rc;
}

static bool is_dxp(xmlNodePtr n, const char *name)
{
    return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           strcmp((const char *)n->ns->href, CG_NS_DXP) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

int cg_dxp_unwrap(xmlDocPtr env, char **xml, size_t *len, struct cg_err *err)
{
    xmlNodePtr root = env != NULL ? xmlDocGetRootElement(env) : NULL, c, data = NULL;
    xmlChar *text = NULL;
    unsigned char *dec = NULL;
    char *clean = NULL;
    size_t i, n = 0, pad = 0;
    int rc = CG_OK, m;

    if (root == NULL || !is_dxp(root, "DxpMsg"))
        return CG_ERR_SET(err, CG_ENOTFOUND, "not a DXP envelope (root %s)",
                          root != NULL ? (const char *)root->name : "none");
    for (c = root->children; c != NULL && data == NULL; c = c->next)
        if (is_dxp(c, "Data"))
            data = c;
    if (data == NULL)
        return CG_ERR_SET(err, CG_EPARSE, "DxpMsg has no Data element");
    text = xmlNodeGetContent(data);
    if (text == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    clean = malloc(strlen((const char *)text) + 1);
    if (clean == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    /* Peers wrap the base64 at 76 columns: drop white space before decoding. */
    for (i = 0; text[i] != '\0'; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
            clean[n++] = (char)text[i];
    clean[n] = '\0';
    if (n == 0 || n % 4 != 0) {
        rc = CG_ERR_SET(err, CG_EPARSE, "DxpMsg Data is not base64");
        goto done;
    }
    if (n / 4 * 3 > CG_XML_MAX) {
        rc = CG_ERR_SET(err, CG_ERANGE, "DxpMsg Data is over the XML limit");
        goto done;
    }
    pad = (clean[n - 1] == '=') + (clean[n - 2] == '=');
    dec = malloc(n / 4 * 3 + 1);
    if (dec == NULL) {
        rc = CG_ERR_SET(err, CG_ENOMEM, "out of memory");
        goto done;
    }
    m = EVP_DecodeBlock(dec, (const unsigned char *)clean, (int)n);
    if (m < 0 || (size_t)m < pad) {
        rc = CG_ERR_SET(err, CG_EPARSE, "DxpMsg Data is not base64");
        goto done;
    }
    m -= (int)pad;
    dec[m] = '\0';
    *xml = (char *)dec;
    *len = (size_t)m;
    dec = NULL;
done:
    free(dec);
    free(clean);
    xmlFree(text);
    return rc;
}
