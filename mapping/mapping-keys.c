/*
 * mapping-keys.c - the configuration keys of sellers and of reading order files.
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "mapping/mapping.h"

const struct cg_conf_key cg_mapping_conf_keys[] = {
    /* [seller] and [seller.NAME]. The codes and names copied into the messages carry the
     * maxLength of their element in the 202205 export schema (ebpCode 18, though 2018 allows 50),
     * so a value too long is refused at its line when the file is loaded, for every seller
     * section, rather than when a command loads that seller or by the schema of each order. */
    {"seller", "ebp_code", CG_CONF_STR, NULL, "..18",
     "e-commerce platform the orders were sold on: its customs code or USCC (ebpCode, up to "
     "18); for a foreign platform without one (Amazon, Shopify, eBay) write 无"},
    {"seller", "ebp_name", CG_CONF_STR, NULL, "..100",
     "e-commerce platform name (ebpName), e.g. Amazon for a foreign platform"},
    {"seller", "ebc_code", CG_CONF_STR, NULL, "..18",
     "e-commerce enterprise customs code (ebcCode, the consignor)"},
    {"seller", "ebc_name", CG_CONF_STR, NULL, "..100", "e-commerce enterprise name (ebcName)"},
    {"seller", "agent_code", CG_CONF_STR, NULL, "..18", "declaring agent customs code (agentCode)"},
    {"seller", "agent_name", CG_CONF_STR, NULL, "..100", "declaring agent name (agentName)"},
    {"seller", "owner_code", CG_CONF_STR, NULL, "..18",
     "producer or seller code (ownerCode; NO if not registered)"},
    {"seller", "owner_name", CG_CONF_STR, NULL, "..100", "producer or seller name (ownerName)"},
    {"seller", "customs_code", CG_CONF_STR, NULL, NULL, "declaring customs office, 4 digits"},
    {"seller", "port_code", CG_CONF_STR, NULL, NULL, "exit port customs code, 4 digits"},
    {"seller", "traf_mode", CG_CONF_STR, "5", NULL,
     "transport mode code (2 sea, 3 rail, 4 road, 5 air, 6 post)"},
    {"seller", "wrap_type", CG_CONF_STR, "2", NULL, "package kind code (2 carton, 6 bag, ...)"},
    {"seller", "trade_mode", CG_CONF_ENUM, "9610", "9610|9710|9810|1210", "customs trade mode"},
    {"seller", "statistics_flag", CG_CONF_ENUM, "A", "A|B",
     "A simplified declaration, B summary declaration (needed for VAT refund)"},
    {"seller", "currency", CG_CONF_STR, "USD", NULL,
     "default currency (ISO 4217 letters) when an order file has none"},
    {"seller", "profile", CG_CONF_STR, "own", NULL,
     "order file layout: own, jsonl, shopify, amazon, or a profile file path"},
    {"seller", "country", CG_CONF_STR, NULL, NULL,
     "destination country (ISO 3166 alpha-2) when an order file has none"},
    {"seller", "pod", CG_CONF_STR, NULL, NULL,
     "destination port (CEB603 POD, 3-4 characters) when neither the order nor the shipments "
     "file nor pod_by_country gives one"},
    {"seller", "pod_by_country", CG_CONF_STR, NULL, NULL,
     "destination port by destination country, e.g. US=LAX, DE=HAM (ISO alpha-2 = POD)"},
    {"seller", "catalog", CG_CONF_PATH, NULL, NULL, "product catalogue CSV (SKU to HS code)"},
    {"seller", "shipments", CG_CONF_PATH, NULL, NULL, "shipments CSV joined by order number"},
    {"seller", "key_file", CG_CONF_PATH, NULL, NULL,
     "signing key of this seller (PEM or PKCS#12); default: [declare] key_file"},
    {"seller", "cert_file", CG_CONF_PATH, NULL, NULL, "certificate that goes with key_file"},
    {"seller", "key_pass_file", CG_CONF_PATH, NULL, NULL,
     "file holding the key passphrase (never put the passphrase itself here)"},
    {"seller", "key_pass_env", CG_CONF_STR, NULL, NULL,
     "environment variable holding the key passphrase"},
    {"seller", "key_name", CG_CONF_STR, NULL, NULL, "certificate number written into ds:KeyName"},
    {"seller", "payments", CG_CONF_ENUM, "none", "none|shop|collections",
     "shop: declare a payment receipt (CEB403) from the order file's payment columns; "
     "collections: from the collections matched to the order (settle); none: declare none"},
    {"seller", "pay_code", CG_CONF_STR, NULL, "..18",
     "payment company code (CEB403 payCode) of receipts declared from collections"},
    {"seller", "pay_name", CG_CONF_STR, NULL, "..100",
     "payment company name (CEB403 payName) of receipts declared from collections; required "
     "with payments = collections"},
    {"seller", "iac_code", CG_CONF_STR, NULL, "..18",
     "special-area warehouse enterprise code (CEB603 iacCode); required with trade_mode 1210"},
    {"seller", "iac_name", CG_CONF_STR, NULL, "..100",
     "special-area warehouse enterprise name (CEB603 iacName); required with trade_mode 1210"},
    {"seller", "ems_no", CG_CONF_STR, NULL, "..30",
     "special-area record book number (CEB603 emsNo); required with trade_mode 1210"},

    /* [mapping] */
    {"mapping", "encoding", CG_CONF_ENUM, "auto", "auto|utf-8|gb18030",
     "order file encoding; auto takes UTF-8 when valid, else GB18030"},
    {"mapping", "tolerance", CG_CONF_STR, "0.01", NULL,
     "largest accepted difference between a given and a computed total"},
    {"mapping", "max_record", CG_CONF_INT, "1048576", "1024..67108864",
     "longest accepted line or CSV record of an order file, bytes"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
