/*
 * port-receipt.c - the business receipts the port sends back, built with libxml2's tree API in
 * the official shape (namespace prefix ceb, root guid and version="1.0", elements in schema
 * order): CEB304/404/506/508/510/604/606/608/702 (one XxxReturn each), CEB792 summary results
 * and CEB900 format-check receipts.
 *
 * Field values come from the document object (port-int.h); a field the document lacks is
 * written empty, or left out when the schema makes it optional. Failures are out of memory.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/money.h"
#include "port/port-int.h"

static int new_root(const char *name, const char *guid, xmlDocPtr *doc, xmlNodePtr *root,
                    xmlNsPtr *ns)
{
    *doc = xmlNewDoc(CGX("1.0"));
    if (*doc == NULL)
        return CG_ENOMEM;
    *root = xmlNewNode(NULL, CGX(name));
    if (*root == NULL)
        return CG_ENOMEM;
    xmlDocSetRootElement(*doc, *root);
    *ns = xmlNewNs(*root, CGX(CG_NS_CEB), CGX("ceb"));
    if (*ns == NULL || xmlNewNs(*root, CGX(CG_NS_XSI), CGX("xsi")) == NULL)
        return CG_ENOMEM;
    xmlSetNs(*root, *ns);
    if (xmlNewProp(*root, CGX("guid"), CGX(guid)) == NULL ||
        xmlNewProp(*root, CGX("version"), CGX("1.0")) == NULL)
        return CG_ENOMEM;
    return CG_OK;
}

static int add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *value)
{
    return xmlNewTextChild(parent, ns, CGX(name), CGX(value)) != NULL ? CG_OK : CG_ENOMEM;
}

int cg_port_receipt_build(const struct cg_port_kind *k, const char *msg_guid, const json_t *ent,
                          const char *status, const char *info, const char *time17, xmlDocPtr *out,
                          struct cg_err *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    xmlNodePtr ret;
    xmlNsPtr ns = NULL;
    char name[32];
    char field[64];
    const char *p = k->ret_fields;
    const char *value;
    size_t len;
    bool optional;
    int rc;

    snprintf(name, sizeof(name), "CEB%dMessage", k->ret_type);
    rc = new_root(name, msg_guid, &doc, &root, &ns);
    if (rc != CG_OK)
        goto done;
    ret = xmlNewChild(root, ns, CGX(k->ret_elem), NULL);
    if (ret == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    while (*p != '\0') {
        len = strcspn(p, " ");
        optional = *p == '?';
        snprintf(field, sizeof(field), "%.*s", (int)(len - (optional ? 1 : 0)),
                 p + (optional ? 1 : 0));
        p += len;
        while (*p == ' ')
            p++;
        value = cg_port_field(ent, field);
        if (strcmp(field, "msgSeqNo") == 0 && *value == '\0')
            value = "1";
        if (optional && *value == '\0')
            continue;
        rc = add(ret, ns, field, value);
        if (rc != CG_OK)
            goto done;
    }
    if ((rc = add(ret, ns, "returnStatus", status)) != CG_OK ||
        (rc = add(ret, ns, "returnTime", time17)) != CG_OK ||
        (rc = add(ret, ns, "returnInfo", info)) != CG_OK)
        goto done;
    *out = doc;
    doc = NULL;
done:
    xmlFreeDoc(doc);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "building CEB%d receipt: out of memory", k->ret_type);
    return CG_OK;
}

static void add_dec(int64_t *sum, const json_t *obj, const char *name)
{
    int64_t v;

    if (cg_dec_parse(cg_port_field(obj, name), &v) == CG_OK)
        cg_dec_add(*sum, v, sum);
}

int cg_port_receipt_build_792(const char *msg_guid, const json_t *ent, const json_t *inventories,
                              const char *dec_state, const char *time17, const char *version,
                              xmlDocPtr *out, struct cg_err *err)
{
    static const char *const head_from_ent[] = {
        "agentCode", "agentName", "ebcCode", "ebcName", "declAgentCode", "declAgentName", NULL};
    xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    xmlNodePtr res;
    xmlNodePtr head;
    xmlNodePtr line;
    xmlNsPtr ns = NULL;
    const json_t *inv;
    const json_t *it;
    char num[CG_DEC_STRMAX];
    char seq[24]; /* an int64_t in decimal: at most 20 characters */
    int64_t gross = 0;
    int64_t net = 0;
    long gseq = 0;
    bool v2018 = version != NULL && strcmp(version, "2018") == 0;
    size_t i;
    size_t j;
    int rc;

    json_array_foreach(inventories, i, inv)
    {
        add_dec(&gross, inv, "grossWeight");
        add_dec(&net, inv, "netWeight");
    }
    rc = new_root("CEB792Message", msg_guid, &doc, &root, &ns);
    if (rc != CG_OK)
        goto done;
    res = xmlNewChild(root, ns, CGX("SummaryResult"), NULL);
    head = res != NULL ? xmlNewChild(res, ns, CGX("SummaryResultHead"), NULL) : NULL;
    if (head == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    if ((rc = add(head, ns, "guid", cg_port_field(ent, "guid"))) != CG_OK ||
        (rc = add(head, ns, "customsCode", cg_port_field(ent, "customsCode"))) != CG_OK ||
        (rc = add(head, ns, "sumNo", cg_port_field(ent, "sumNo"))) != CG_OK ||
        (rc = add(head, ns, "opDate", time17)) != CG_OK ||
        (rc = add(head, ns, "declSeqNo", cg_port_field(ent, "declSeqNo"))) != CG_OK ||
        (*cg_port_field(ent, "entryId") != '\0' &&
         (rc = add(head, ns, "entryId", cg_port_field(ent, "entryId"))) != CG_OK) ||
        (rc = add(head, ns, "decState", dec_state)) != CG_OK)
        goto done;
    for (i = 0; head_from_ent[i] != NULL; i++)
        if ((rc = add(head, ns, head_from_ent[i], cg_port_field(ent, head_from_ent[i]))) != CG_OK)
            goto done;
    cg_dec_format(gross, 0, num, sizeof(num));
    if ((rc = add(head, ns, "grossWeight", num)) != CG_OK)
        goto done;
    cg_dec_format(net, 0, num, sizeof(num));
    if ((rc = add(head, ns, "netWeight", num)) != CG_OK ||
        (rc = add(head, ns, "msgCount", "1")) != CG_OK ||
        (rc = add(head, ns, "msgSeqNo", "1")) != CG_OK)
        goto done;
    json_array_foreach(inventories, i,
                       inv){json_array_foreach(json_object_get(inv, "items"), j, it){
        line = xmlNewChild(res, ns, CGX("SummaryResultList"), NULL);
    if (line == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    snprintf(seq, sizeof(seq), "%ld", ++gseq);
    if ((rc = add(line, ns, "invtNo", cg_port_field(inv, "invtNo"))) != CG_OK ||
        (rc = add(line, ns, "logisticsNo", cg_port_field(inv, "logisticsNo"))) != CG_OK ||
        (!v2018 && (rc = add(line, ns, "gseqno", seq)) != CG_OK) ||
        (rc = add(line, ns, "gnum", cg_port_field(it, "gnum"))) != CG_OK ||
        (rc = add(line, ns, "gcode", cg_port_field(it, "gcode"))) != CG_OK)
        goto done;
}
}
*out = doc;
doc = NULL;
done : xmlFreeDoc(doc);
if (rc != CG_OK)
    return CG_ERR_SET(err, rc, "building CEB792 receipt: out of memory");
return CG_OK;
}

int cg_port_receipt_build_900(const char *msg_guid, const char *status, const char *info,
                              const char *time17, const char *ori_cop_msg_id, const char *ori_type,
                              const char *ori, size_t orilen, xmlDocPtr *out, struct cg_err *err)
{
    xmlDocPtr doc = NULL;
    xmlNodePtr root = NULL;
    xmlNodePtr ret;
    xmlNodePtr body;
    xmlNodePtr cdata;
    xmlNsPtr ns = NULL;
    int rc;

    rc = new_root("CEB900Message", msg_guid, &doc, &root, &ns);
    if (rc != CG_OK)
        goto done;
    ret = xmlNewChild(root, ns, CGX("MessageReturn"), NULL);
    if (ret == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    if ((rc = add(ret, ns, "guid", msg_guid)) != CG_OK ||
        (rc = add(ret, ns, "returnStatus", status)) != CG_OK ||
        (rc = add(ret, ns, "returnInfo", info)) != CG_OK ||
        (rc = add(ret, ns, "returnTime", time17)) != CG_OK ||
        (rc = add(ret, ns, "oriCopMsgId", ori_cop_msg_id != NULL ? ori_cop_msg_id : "")) != CG_OK ||
        (rc = add(ret, ns, "oriMessageType", ori_type != NULL ? ori_type : "Unknown")) != CG_OK)
        goto done;
    body = xmlNewChild(ret, ns, CGX("oriBizMessage"), NULL);
    if (body == NULL) {
        rc = CG_ENOMEM;
        goto done;
    }
    /* The original goes in as CDATA when it can: valid UTF-8 without a CDATA end marker. */
    if (ori != NULL && orilen > 0 && orilen < (size_t)INT32_MAX) {
        xmlChar *s = xmlStrndup(CGX(ori), (int)orilen);

        if (s == NULL) {
            rc = CG_ENOMEM;
            goto done;
        }
        if ((size_t)xmlStrlen(s) == orilen && xmlCheckUTF8(s) &&
            strstr((const char *)s, "]]>") == NULL) {
            cdata = xmlNewCDataBlock(doc, s, (int)orilen);
            if (cdata == NULL || xmlAddChild(body, cdata) == NULL) {
                xmlFree(s);
                rc = CG_ENOMEM;
                goto done;
            }
        }
        xmlFree(s);
    }
    *out = doc;
    doc = NULL;
done:
    xmlFreeDoc(doc);
    if (rc != CG_OK)
        return CG_ERR_SET(err, rc, "building CEB900 receipt: out of memory");
    return CG_OK;
}
