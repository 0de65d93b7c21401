/*
 * spool-keys.c - the configuration keys of the spool and its transports.
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "spool/spool.h"

const struct cg_conf_key cg_spool_conf_keys[] = {
    /* [seller] and [seller.NAME]: what the spool does for the seller */
    {"seller", "cancel", CG_CONF_ENUM, "confirm", "auto|confirm",
     "an order the shop cancelled after it was declared: auto declares its cancellation "
     "(CEB605) in the next run, confirm lists it for `cebgate cancel --confirm`"},
    /* [transport] */
    {"transport", "mode", CG_CONF_ENUM, "dir", "dir|http",
     "hand messages over through outbox/ and inbox/, or over HTTP(S)"},
    {"transport", "dxp_wrap", CG_CONF_BOOL, "no", NULL,
     "wrap each message in the DXP envelope (dxp:DxpMsg)"},
    /* The limits are the maxLength of TransInfo's SenderId and ReceiverId in dxp-terminal.xsd
     * (202205 and 2018 alike; any characters, counted as characters): checked when the file is
     * loaded, a value too long would otherwise fail every message at the envelope. */
    {"transport", "sender_id", CG_CONF_STR, NULL, "..16",
     "DXP SenderId (the enterprise DXP id), at most 16 characters; unset or empty: [declare] "
     "dxp_id"},
    {"transport", "receiver_id", CG_CONF_STR, "DXPEDCCEB0000003", "..16",
     "DXP ReceiverId (cross-border export), at most 16 characters"},
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
    {"transport", "token_file", CG_CONF_PATH, NULL, NULL,
     "file holding this sender's token for the port (Authorization: Bearer); never the token"},
    {"transport", "client_key_pass_env", CG_CONF_STR, NULL, NULL,
     "environment variable holding the client key passphrase"},
    {"transport", "retry_base_ms", CG_CONF_INT, "500", "10..600000",
     "first retry delay in milliseconds; doubles on each retry, with jitter"},
    {"transport", "retry_max_delay", CG_CONF_INT, "60", "1..3600",
     "longest delay between two retries, seconds (Retry-After may ask for more)"},

    /* [spool] */
    {"spool", "summary_day", CG_CONF_INT, "15", "0..31",
     "route-B sellers: run declares the previous month's summaries (CEB701) from the 1st to "
     "this day of the month (China time); 0: only by `cebgate summary`"},
    {"spool", "archive_days", CG_CONF_INT, "90", "0..36500",
     "days sent and received messages are kept in archive/ (looked for at most once a day)"},
    {"spool", "max_file_size", CG_CONF_INT, "1073741824", "1..68719476736",
     "largest order file taken, bytes"},
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
