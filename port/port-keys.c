/*
 * port-keys.c - the configuration keys of the receiving side (`cebgate port`), its test-only fault
 * keys and the [sender.NAME] sections (the parties allowed to send to it) included.
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "port/port.h"

const struct cg_conf_key cg_port_conf_keys[] = {
    /* [port] */
    {"port", "listen", CG_CONF_STR, "127.0.0.1", NULL,
     "address cebgate port listens on (IPv4 or IPv6 literal)"},
    {"port", "port", CG_CONF_INT, "8443", "0..65535",
     "TCP port; 0 picks a free one (printed, and written to --port-file)"},
    {"port", "tls_cert", CG_CONF_PATH, NULL, NULL,
     "server certificate chain (PEM); without it the port speaks plain HTTP on loopback only"},
    {"port", "tls_key", CG_CONF_PATH, NULL, NULL, "server private key (PEM, unencrypted)"},
    {"port", "tls_client_ca", CG_CONF_PATH, NULL, NULL,
     "CA certificates (PEM); when set every request needs a client certificate they verify"},
    {"port", "insecure_http", CG_CONF_BOOL, "no", NULL,
     "allow plain HTTP on an address other than loopback (never on the internet)"},
    {"port", "database", CG_CONF_PATH, "port.db", NULL, "the port's own SQLite database"},
    {"port", "max_body", CG_CONF_INT, "4194304", "1024..1073741824",
     "largest message accepted, bytes (larger: HTTP 413, code 0999)"},
    {"port", "body_budget", CG_CONF_INT, "67108864", "1024..68719476736",
     "bytes of message bodies and receipt pages held at once by all connections (at least "
     "max_body and receipts_page_bytes; beyond it: HTTP 503 with Retry-After, code 3999)"},
    {"port", "sender_budget", CG_CONF_INT, "0", "0..68719476736",
     "bytes of body_budget the requests of one sender hold at once (0: a quarter of body_budget, "
     "at least max_body and receipts_page_bytes; beyond it: HTTP 503 with Retry-After, code "
     "3999)"},
    {"port", "sender_daily_max", CG_CONF_INT, "2000000", "0..1000000000",
     "messages (accepted or refused) one sender may have recorded in a China day (00:00 to 24:00 "
     "UTC+8; 0: no limit); past it: HTTP 429 with Retry-After, code 3998"},
    {"port", "max_connections", CG_CONF_INT, "256", "1..65536", "simultaneous connections"},
    {"port", "timeout", CG_CONF_INT, "30", "1..3600", "seconds an idle or slow connection is kept"},
    {"port", "schema_version", CG_CONF_ENUM, "202205", "202205|2018",
     "CEB schema edition messages are validated against"},
    {"port", "trust", CG_CONF_STR, NULL, NULL,
     "trusted signer certificates: PEM files separated by commas (relative to the config)"},
    {"port", "sm2_id", CG_CONF_STR, "1234567812345678", NULL,
     "SM2 distinguishing identifier sm2-sm3 message signatures are checked with"},
    {"port", "require_signature", CG_CONF_BOOL, "yes", NULL,
     "refuse unsigned messages with code 1001"},
    {"port", "codes_dir", CG_CONF_PATH, NULL, NULL,
     "folder with the customs code tables (currency.csv, country.csv, unit.csv, ...; "
     "default: the data directory)"},
    {"port", "tolerance", CG_CONF_STR, "0.01", NULL,
     "largest accepted difference between a total and the sum of its lines"},
    {"port", "receipts_dir", CG_CONF_PATH, NULL, NULL,
     "also write every receipt into this folder (for the directory transport)"},
    {"port", "format_receipts", CG_CONF_BOOL, "yes", NULL,
     "publish a CEB900 receipt for messages refused with 0001 or 0002"},
    {"port", "accept_ms", CG_CONF_INT, "1000", "0..86400000",
     "scenario: milliseconds after acceptance until status 120 (or the rule's rejection)"},
    {"port", "release_ms", CG_CONF_INT, "2000", "0..86400000",
     "scenario: milliseconds after acceptance until 800 released (inventories) or CEB792"},
    {"port", "close_ms", CG_CONF_INT, "3000", "0..86400000",
     "scenario: milliseconds after acceptance until 899 closed (inventories)"},
    {"port", "close_after_departure", CG_CONF_BOOL, "no", NULL,
     "scenario: close an inventory (899) close_ms after the departure (CEB509) listing its "
     "parcel, not close_ms after its acceptance"},
    {"port", "reject_rules", CG_CONF_STR, NULL, NULL,
     "scenario: FIELD=VALUE[*]:reason rules separated by '|'; a match gets status 100"},
    {"port", "reject_status", CG_CONF_INT, "100", "-999999999..999999999",
     "scenario: status a rule match ends with"},
    {"port", "customs_code", CG_CONF_STR, "0000", NULL,
     "customs office code used in invtNo when a document has none"},
    {"port", "threads", CG_CONF_INT, "0", "0..64",
     "threads that receive and check messages (0: one per CPU core)"},
    {"port", "commit_max", CG_CONF_INT, "128", "1..1024",
     "most messages stored together in one transaction"},
    {"port", "commit_wait_ms", CG_CONF_INT, "2", "0..100",
     "how long the writer waits for messages still being checked before it commits"},
    {"port", "max_per_client", CG_CONF_INT, "32", "1..65536",
     "simultaneous connections from one client address"},
    {"port", "read_deadline", CG_CONF_INT, "30", "1..3600",
     "seconds a client has to send one request's headers and body, however slowly it trickles"},
    {"port", "drain_timeout", CG_CONF_INT, "10", "0..3600",
     "seconds a stop (SIGTERM, SIGINT) waits for the requests in flight to be answered; no new "
     "connection is taken meanwhile"},
    {"port", "max_attributes", CG_CONF_INT, "64", "1..100000",
     "most attributes on one element of a POSTed message"},
    {"port", "max_total_attributes", CG_CONF_INT, "10000", "16..10000000",
     "most attributes (namespace declarations included) in one POSTed message"},
    {"port", "max_namespaces", CG_CONF_INT, "16", "1..1024",
     "most namespace declarations (xmlns attributes) in one POSTed message"},
    {"port", "max_element_namespaces", CG_CONF_INT, "8", "1..1024",
     "most namespace declarations on one element of a POSTed message"},
    {"port", "max_elements", CG_CONF_INT, "200000", "16..10000000",
     "most elements in one POSTed message"},
    {"port", "max_depth", CG_CONF_INT, "48", "4..256", "deepest element nesting in a message"},
    {"port", "max_text", CG_CONF_INT, "1048576", "1024..1073741824",
     "longest text or attribute value in a message, bytes"},
    {"port", "max_summary_lines", CG_CONF_INT, "10000", "100..1000000",
     "most inventory lines the inventories of one summary (CEB701) may have in all; a CEB792 "
     "carries each of them (4007 beyond)"},
    {"port", "cpu_budget_ms", CG_CONF_INT, "3000", "10..600000",
     "CPU time the checks of one message may use before it is refused (0998)"},
    {"port", "receipts_page_bytes", CG_CONF_INT, "4194304", "65536..268435456",
     "largest GET /receipts answer, bytes (a page always carries at least one receipt)"},
    {"port", "metrics", CG_CONF_ENUM, "local", "local|senders|open|off",
     "who may GET /metrics: clients on this host (loopback), authenticated senders, anybody, or "
     "nobody; its counts are the whole port's, every sender's"},
    {"port", "fault_503_percent", CG_CONF_INT, "0", "0..100",
     "TEST ONLY: answer this share of POSTs with 503 and Retry-After"},
    {"port", "fault_drop_percent", CG_CONF_INT, "0", "0..100",
     "TEST ONLY: close this share of POST connections without an answer"},
    {"port", "fault_receipts_twice", CG_CONF_BOOL, "no", NULL,
     "TEST ONLY: publish every receipt twice"},

    /* [sender.NAME]: one party allowed to send to the port; after the [port] keys so that
     * `cebgate config` shows [port] once */
    {"sender", "token_file", CG_CONF_PATH, NULL, NULL,
     "file holding the sender's token (sent as Authorization: Bearer); never the token itself"},
    {"sender", "client_cert", CG_CONF_PATH, NULL, NULL,
     "the sender's TLS client certificate (PEM), for mutual TLS"},
    {"sender", "sign_cert", CG_CONF_PATH, NULL, NULL,
     "PEM file with the certificate(s) the sender signs messages with"},
    {"sender", "codes", CG_CONF_STR, NULL, NULL,
     "enterprise codes the sender may declare for (comma-separated)"},
    {"sender", "daily_max", CG_CONF_INT, NULL, "0..1000000000",
     "messages this sender may have recorded in one China day (0: no limit); unset: [port] "
     "sender_daily_max"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
