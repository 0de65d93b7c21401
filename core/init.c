/*
 * init.c - start and stop the libraries cebgate uses, in dependency order.
 *
 * Order: curl (its global init is not thread-safe and must come first), libxml2 with safe
 * parser defaults, then xmlsec, its crypto app layer and the OpenSSL backend. Cleanup runs in
 * reverse. A failure leaves what was started running; cg_lib_cleanup() is safe either way.
 */
#include "config.h"

#include <stdio.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/xmlschemastypes.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/version.h>

#include "core/buf.h"
#include "core/init.h"
#include "core/log.h"
#include "core/xmlmem.h"

static int curl_up;
static int xmlsec_up;
static int crypto_app_up;
static int crypto_up;

int cg_lib_init(struct cg_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return CG_ERR_SET(err, CG_ERR, "curl_global_init failed");
    curl_up = 1;
    /* Before libxml2 allocates, though any block of malloc() may be freed through it. */
    cg_xmlmem_install();
    xmlInitParser();
    /* Safe defaults for any parse that does not pass its own options. */
    xmlSubstituteEntitiesDefault(0);
    xmlLoadExtDtdDefaultValue = 0;
    xmlPedanticParserDefault(0);
    /* libxml2 builds its schema type tables lazily and without a lock: do it once, here,
     * before any thread compiles a schema. */
    xmlSchemaInitTypes();
    if (xmlSecInit() < 0)
        return CG_ERR_SET(err, CG_ECRYPTO, "xmlsec initialisation failed");
    xmlsec_up = 1;
    if (xmlSecCheckVersion() != 1)
        return CG_ERR_SET(err, CG_ECRYPTO, "loaded xmlsec library version is not compatible");
    if (xmlSecCryptoAppInit(NULL) < 0)
        return CG_ERR_SET(err, CG_ECRYPTO, "xmlsec crypto app initialisation failed");
    crypto_app_up = 1;
    if (xmlSecCryptoInit() < 0)
        return CG_ERR_SET(err, CG_ECRYPTO, "xmlsec OpenSSL backend initialisation failed");
    crypto_up = 1;
    /* After xmlSecInit, which installs its own default error callback. */
    cg_log_route_libraries();
    return CG_OK;
}

void cg_lib_cleanup(void)
{
    if (crypto_up)
        xmlSecCryptoShutdown();
    if (crypto_app_up)
        xmlSecCryptoAppShutdown();
    if (xmlsec_up)
        xmlSecShutdown();
    crypto_up = crypto_app_up = xmlsec_up = 0;
    xmlCleanupParser();
    cg_xmlmem_uninstall();
    if (curl_up)
        curl_global_cleanup();
    curl_up = 0;
}

const char *cg_lib_versions(void)
{
    static char text[512];
    char xmlver[32];
    long v = 0;

    /* xmlParserVersion is "20914" for 2.9.14. */
    if (cg_parse_long(xmlParserVersion, 0, 999999, &v) == CG_OK)
        snprintf(xmlver, sizeof(xmlver), "%ld.%ld.%ld", v / 10000, v / 100 % 100, v % 100);
    else
        cg_strlcpy(xmlver, xmlParserVersion, sizeof(xmlver));
    snprintf(text, sizeof(text), "libxml2 %s, xmlsec %s, %s, libcurl %s", xmlver, XMLSEC_VERSION,
             OpenSSL_version(OPENSSL_VERSION), curl_version_info(CURLVERSION_NOW)->version);
    return text;
}
