/*
 * conf-keys.c - every configuration key cebgate knows, with type, default and help.
 *
 * Sections appear in this order in `cebgate config` and in the template `cebgate init`
 * writes. A section kind listed here also accepts named copies ([seller.acme]); keys left out
 * of a named copy fall back to the plain section. Add a key here before reading it anywhere.
 */
#include "config.h"

#include <stddef.h>

#include "core/conf.h"

const struct cg_conf_key cg_conf_keys[] = {
    /* [general] */
    {"general", "workdir", CG_CONF_PATH, ".", NULL,
     "working directory holding the spool folders and the database"},
    {"general", "database", CG_CONF_PATH, "cebgate.db", NULL,
     "SQLite database, relative to workdir unless absolute"},
    {"general", "data_dir", CG_CONF_PATH, NULL, NULL,
     "code tables and schemas (default: the installed data, or CEBGATE_DATADIR)"},
    {"general", "log_level", CG_CONF_ENUM, "warn", "error|warn|info|debug",
     "least important messages that are logged"},

    /* [seller] and [seller.NAME] */
    {"seller", "ebp_code", CG_CONF_STR, NULL, NULL,
     "e-commerce platform customs code or USCC (ebpCode, up to 18)"},
    {"seller", "ebp_name", CG_CONF_STR, NULL, NULL, "e-commerce platform name (ebpName)"},
    {"seller", "ebc_code", CG_CONF_STR, NULL, NULL,
     "e-commerce enterprise customs code (ebcCode, the consignor)"},
    {"seller", "ebc_name", CG_CONF_STR, NULL, NULL, "e-commerce enterprise name (ebcName)"},
    {"seller", "agent_code", CG_CONF_STR, NULL, NULL, "declaring agent customs code (agentCode)"},
    {"seller", "agent_name", CG_CONF_STR, NULL, NULL, "declaring agent name (agentName)"},
    {"seller", "owner_code", CG_CONF_STR, NULL, NULL,
     "producer or seller code (ownerCode; NO if not registered)"},
    {"seller", "owner_name", CG_CONF_STR, NULL, NULL, "producer or seller name (ownerName)"},
    {"seller", "customs_code", CG_CONF_STR, NULL, NULL, "declaring customs office, 4 digits"},
    {"seller", "port_code", CG_CONF_STR, NULL, NULL, "exit port customs code, 4 digits"},
    {"seller", "traf_mode", CG_CONF_STR, "5", NULL,
     "transport mode code (2 sea, 3 rail, 4 road, 5 air, 6 post)"},
    {"seller", "wrap_type", CG_CONF_STR, "2", NULL, "package kind code (2 carton, 6 bag, ...)"},
    {"seller", "trade_mode", CG_CONF_ENUM, "9610", "9610|9710|9810|1210",
     "customs trade mode"},
    {"seller", "statistics_flag", CG_CONF_ENUM, "A", "A|B",
     "A simplified declaration, B summary declaration (needed for VAT refund)"},
    {"seller", "currency", CG_CONF_STR, "USD", NULL,
     "default currency (ISO 4217 letters) when an order file has none"},
    {"seller", "profile", CG_CONF_STR, "own", NULL,
     "order file layout: own, jsonl, shopify, amazon, or a profile file path"},
    {"seller", "country", CG_CONF_STR, NULL, NULL,
     "destination country (ISO 3166 alpha-2) when an order file has none"},
    {"seller", "catalog", CG_CONF_PATH, NULL, NULL, "product catalogue CSV (SKU to HS code)"},
    {"seller", "shipments", CG_CONF_PATH, NULL, NULL, "shipments CSV joined by order number"},
    {"seller", "key_file", CG_CONF_PATH, NULL, NULL,
     "signing key of this seller (PEM or PKCS#12); default: [declare] key_file"},
    {"seller", "cert_file", CG_CONF_PATH, NULL, NULL, "certificate that goes with key_file"},
    {"seller", "key_pass_file", CG_CONF_PATH, NULL, NULL,
     "file holding the key passphrase (never put the passphrase itself here)"},
    {"seller", "key_pass_env", CG_CONF_STR, NULL, NULL,
     "environment variable holding the key passphrase"},
    {"seller", "key_name", CG_CONF_STR, NULL, NULL,
     "certificate number written into ds:KeyName"},

    /* [declare] */
    {"declare", "schema_version", CG_CONF_ENUM, "202205", "202205|2018",
     "CEB schema edition the port runs"},
    {"declare", "cop_code", CG_CONF_STR, NULL, NULL,
     "BaseTransfer copCode: code of the enterprise that transmits"},
    {"declare", "cop_name", CG_CONF_STR, NULL, NULL, "BaseTransfer copName"},
    {"declare", "dxp_id", CG_CONF_STR, NULL, NULL, "BaseTransfer dxpId: the DXP user id"},
    {"declare", "signer", CG_CONF_ENUM, "local", "local|remote",
     "local key, or a remote signing service"},
    {"declare", "sign_alg", CG_CONF_ENUM, "rsa-sha1", "rsa-sha1|rsa-sha256",
     "signature algorithm (the CEB spec names rsa-sha1 for RSA keys)"},
    {"declare", "key_file", CG_CONF_PATH, NULL, NULL, "default signing key (PEM or PKCS#12)"},
    {"declare", "cert_file", CG_CONF_PATH, NULL, NULL, "certificate that goes with key_file"},
    {"declare", "key_pass_file", CG_CONF_PATH, NULL, NULL, "file holding the key passphrase"},
    {"declare", "key_pass_env", CG_CONF_STR, NULL, NULL,
     "environment variable holding the key passphrase"},
    {"declare", "key_name", CG_CONF_STR, "0001", NULL,
     "certificate number written into ds:KeyName"},
    {"declare", "remote_url", CG_CONF_STR, NULL, NULL, "remote signer URL (signer = remote)"},
    {"declare", "remote_token", CG_CONF_SECRET, NULL, NULL,
     "bearer token sent to the remote signer (masked by cebgate config)"},
    {"declare", "remote_ca", CG_CONF_PATH, NULL, NULL, "CA file to verify the remote signer"},
    {"declare", "max_entities", CG_CONF_INT, "1", "1..100",
     "entities (orders, waybills, inventories) per message"},

    /* [transport] */
    {"transport", "mode", CG_CONF_ENUM, "dir", "dir|http",
     "hand messages over through outbox/ and inbox/, or over HTTP(S)"},
    {"transport", "dxp_wrap", CG_CONF_BOOL, "no", NULL,
     "wrap each message in the DXP envelope (dxp:DxpMsg)"},
    {"transport", "sender_id", CG_CONF_STR, NULL, NULL, "DXP SenderId (the enterprise DXP id)"},
    {"transport", "receiver_id", CG_CONF_STR, "DXPEDCCEB0000003", NULL,
     "DXP ReceiverId (cross-border export)"},
    {"transport", "url", CG_CONF_STR, NULL, NULL, "HTTP(S) URL messages are POSTed to"},
    {"transport", "receipts_url", CG_CONF_STR, NULL, NULL, "HTTP(S) URL receipts are polled from"},
    {"transport", "ca_file", CG_CONF_PATH, NULL, NULL,
     "CA certificates that verify the port (verification is always on)"},
    {"transport", "client_cert", CG_CONF_PATH, NULL, NULL, "client certificate for mutual TLS"},
    {"transport", "client_key", CG_CONF_PATH, NULL, NULL, "client key for mutual TLS"},
    {"transport", "parallel", CG_CONF_INT, "4", "1..64", "HTTP transfers in parallel"},
    {"transport", "connect_timeout", CG_CONF_INT, "10", "1..600", "connect timeout, seconds"},
    {"transport", "timeout", CG_CONF_INT, "60", "1..3600", "whole-transfer timeout, seconds"},
    {"transport", "max_retries", CG_CONF_INT, "8", "0..100",
     "retries of a temporary failure before giving up for this run"},
    {"transport", "retry_deadline", CG_CONF_INT, "600", "1..86400",
     "seconds after which a run stops retrying and exits 75"},
    {"transport", "client_key_pass_file", CG_CONF_PATH, NULL, NULL,
     "file holding the client key passphrase (never put the passphrase itself here)"},
    {"transport", "client_key_pass_env", CG_CONF_STR, NULL, NULL,
     "environment variable holding the client key passphrase"},
    {"transport", "retry_base_ms", CG_CONF_INT, "500", "10..600000",
     "first retry delay in milliseconds; doubles on each retry, with jitter"},
    {"transport", "retry_max_delay", CG_CONF_INT, "60", "1..3600",
     "longest delay between two retries, seconds (Retry-After may ask for more)"},

    /* [spool] */
    {"spool", "archive_days", CG_CONF_INT, "90", "0..36500",
     "days sent and received messages are kept in archive/"},
    {"spool", "max_file_size", CG_CONF_INT, "1073741824", "1..68719476736",
     "largest order file taken, bytes"},

    /* [mapping] */
    {"mapping", "encoding", CG_CONF_ENUM, "auto", "auto|utf-8|gb18030",
     "order file encoding; auto takes UTF-8 when valid, else GB18030"},
    {"mapping", "tolerance", CG_CONF_STR, "0.01", NULL,
     "largest accepted difference between a given and a computed total"},
    {"mapping", "max_record", CG_CONF_INT, "1048576", "1024..67108864",
     "longest accepted line or CSV record of an order file, bytes"},

    /* [port] */
    {"port", "listen", CG_CONF_STR, "127.0.0.1", NULL, "address cebgate port listens on"},
    {"port", "port", CG_CONF_INT, "8443", "1..65535", "TCP port"},
    {"port", "tls_cert", CG_CONF_PATH, NULL, NULL, "server certificate (PEM); no TLS without"},
    {"port", "tls_key", CG_CONF_PATH, NULL, NULL, "server key (PEM)"},
    {"port", "database", CG_CONF_PATH, "port.db", NULL, "the port's own SQLite database"},
    {"port", "max_body", CG_CONF_INT, "4194304", "1024..1073741824",
     "largest message accepted, bytes"},

    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
