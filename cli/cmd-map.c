/*
 * cmd-map.c - `cebgate map FILE...`: the seller's dry run of order mapping.
 *
 * Reads each order file through the seller's mapping profile, catalogue and shipments, builds
 * every message `cebgate run` would declare for each live order and validates it against the
 * schema (no signing), and prints every order that passes as one line of JSON on stdout (or a
 * table with --table): what map accepts is what run declares. Each rejected order is one line
 * on stderr, "file:line: order <no>: field <name>: reason" (or "CEB603 schema: reason"), and
 * each order that is not declared because of its status one line "file:line: order <no>:
 * waiting|skipped|cancelled: why"; the other orders go on. Exit 0 when no order was rejected
 * (waiting and skipped orders are not errors), 1 when any order was rejected or a file could
 * not be read, 2 for usage or configuration errors. Nothing is written anywhere.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/money.h"
#include "declare/declare.h"
#include "mapping/mapping.h"

static void table_row(const struct cg_order *o)
{
    char gv[CG_DEC_STRMAX], fr[CG_DEC_STRMAX];

    cg_dec_format(o->goods_value, 2, gv, sizeof(gv));
    cg_dec_format(o->freight, 2, fr, sizeof(fr));
    printf("%-24s %-4s %-4s %5zu %14s %10s  %-32s %.12s\n", o->order_no, o->currency_iso,
           o->country_iso, o->nlines, gv, fr, o->has_shipment ? o->ship.logistics_no : "-",
           o->hash);
}

static int replace(char **dst, const char *v)
{
    char *n = strdup(v);

    if (n == NULL)
        return -1;
    free(*dst);
    *dst = n;
    return 0;
}

static int exec_map(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"seller", required_argument, NULL, 's'},  {"profile", required_argument, NULL, 'p'},
        {"catalog", required_argument, NULL, 'C'}, {"shipments", required_argument, NULL, 'S'},
        {"table", no_argument, NULL, 't'},         {NULL, 0, NULL, 0},
    };
    const char *seller_name = NULL, *profile = NULL, *catalog = NULL, *shipments = NULL;
    struct cg_seller *seller = NULL;
    struct cg_codes *codes = NULL;
    struct cg_map_ctx *m = NULL;
    struct cg_schema *schema = NULL;
    struct cg_base_transfer bt;
    const char *version = cg_conf_get(cli->conf, "declare", "schema_version");
    struct cg_err err;
    struct cg_buf line;
    char *data_dir = NULL;
    bool table = false;
    long total = 0, rejected = 0, held[4] = {0};
    int status = CG_EXIT_OK;
    int c, i;

    cg_err_clear(&err);
    cg_buf_init(&line, SIZE_MAX / 2);
    while ((c = getopt_long(argc, argv, "s:p:C:S:t", opts, NULL)) != -1) {
        switch (c) {
        case 's': seller_name = optarg; break;
        case 'p': profile = optarg; break;
        case 'C': catalog = optarg; break;
        case 'S': shipments = optarg; break;
        case 't': table = true; break;
        default: return cg_cmd_usage_error(&cg_cmd_map, "unknown option");
        }
    }
    if (optind >= argc)
        return cg_cmd_usage_error(&cg_cmd_map, "FILE expected");
    if (cg_seller_load(cli->conf, seller_name, &seller, &err) != CG_OK)
        goto fail;
    if ((profile != NULL && replace(&seller->profile, profile) != 0) ||
        (catalog != NULL && replace(&seller->catalog, catalog) != 0) ||
        (shipments != NULL && replace(&seller->shipments, shipments) != 0)) {
        CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    data_dir = cg_conf_data_dir(cli->conf);
    if (data_dir == NULL) {
        CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
        goto fail;
    }
    if (cg_codes_load(data_dir, &codes, &err) != CG_OK)
        goto fail;
    if (cg_map_ctx_new(cli->conf, seller, codes, &m, &err) != CG_OK)
        goto fail;
    if (cg_schema_load(data_dir, version, &schema, &err) != CG_OK)
        goto fail;
    memset(&bt, 0, sizeof(bt));
    bt.cop_code = cg_conf_get(cli->conf, "declare", "cop_code");
    bt.cop_name = cg_conf_get(cli->conf, "declare", "cop_name");
    bt.dxp_id = cg_conf_get(cli->conf, "declare", "dxp_id");
    if (table)
        printf("%-24s %-4s %-4s %5s %14s %10s  %-32s %s\n", "ORDER", "CUR", "DEST", "LINES",
               "GOODS VALUE", "FREIGHT", "WAYBILL", "HASH");
    for (i = optind; i < argc; i++) {
        struct cg_reader *r = NULL;
        struct cg_order *o = NULL;
        long n = 0, bad = 0, n_bad = 0, n_held = 0;
        int rc;

        if (cg_reader_open_path(m, argv[i], &r, &err) != CG_OK) {
            fprintf(stderr, "cebgate: %s\n", err.msg);
            status = CG_EXIT_ERROR;
            continue;
        }
        while ((rc = cg_reader_next(r, &o, &err)) != CG_ENOTFOUND) {
            if (rc == CG_EREJECT) {
                fprintf(stderr, "%s\n", err.msg);
                continue;
            }
            if (rc != CG_OK) {
                fprintf(stderr, "cebgate: %s\n", err.msg);
                status = CG_EXIT_ERROR;
                break;
            }
            if (o->status != CG_ORDER_LIVE) {
                fprintf(stderr, "%s:%ld: order %s: %s: %s\n", o->source, o->line, o->order_no,
                        cg_order_status_name(o->status), o->status_reason);
                held[o->status]++;
                n_held++;
                cg_order_free(o);
                continue;
            }
            if (cg_order_check(schema, o, seller, &bt, version, &err) != CG_OK) {
                fprintf(stderr, "%s:%ld: order %s: %s\n", o->source, o->line, o->order_no, err.msg);
                n_bad++;
                cg_order_free(o);
                continue;
            }
            if (table) {
                table_row(o);
            } else {
                /* One buffer for every line: no allocation per order once it is big enough. */
                cg_buf_reset(&line);
                if (cg_order_json_add(o, false, &line) != CG_OK ||
                    cg_buf_addc(&line, '\n') != CG_OK) {
                    cg_order_free(o);
                    cg_reader_close(r);
                    CG_ERR_SET(&err, CG_ENOMEM, "out of memory");
                    goto fail;
                }
                fwrite(line.data, 1, line.len, stdout);
            }
            cg_order_free(o);
        }
        cg_reader_counts(r, &n, &bad);
        total += n - n_bad - n_held;
        rejected += bad + n_bad;
        cg_reader_close(r);
    }
    if (fflush(stdout) != 0) {
        CG_ERR_SET(&err, CG_EIO, "writing the output failed");
        goto fail;
    }
    if (!cli->quiet)
        fprintf(stderr,
                "cebgate map: %ld orders mapped, %ld rejected, %ld waiting, %ld skipped, %ld "
                "cancelled\n",
                total, rejected, held[CG_ORDER_WAIT], held[CG_ORDER_SKIP],
                held[CG_ORDER_CANCELLED]);
    if (rejected > 0)
        status = CG_EXIT_ERROR;
    goto done;
fail:
    status = cg_cmd_fail(&err);
done:
    cg_buf_free(&line);
    cg_schema_free(schema);
    cg_map_ctx_free(m);
    cg_codes_free(codes);
    cg_seller_free(seller);
    free(data_dir);
    return status;
}

const struct cg_cmd cg_cmd_map = {
    "map",
    "FILE... [--seller NAME] [--profile NAME] [--catalog FILE] [--shipments FILE] [--table]",
    "map order files to normalized orders and check every message run would declare (JSON "
    "lines on stdout; rejected, waiting and skipped orders on stderr)",
    "  --seller NAME     use [seller.NAME] of the configuration (default: [seller])\n"
    "  --profile NAME    own, jsonl, shopify, amazon, or a profile file (default: [seller] "
    "profile)\n"
    "  --catalog FILE    product catalogue CSV (default: [seller] catalog)\n"
    "  --shipments FILE  shipments CSV joined by order number (default: [seller] shipments)\n"
    "  --table           print a table instead of JSON lines\n"
    "Each order is checked as `cebgate run` checks it: its messages are built and validated\n"
    "against the schema (not signed). Orders that wait or are skipped because of their status\n"
    "are listed on stderr and are not errors.\n"
    "Exit status: 0 no order rejected, 1 an order was rejected or a file failed, 2 usage or\n"
    "configuration error.\n",
    CG_CMD_NEEDS_CONF,
    exec_map,
};
