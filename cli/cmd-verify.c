/*
 * cmd-verify.c - `cebgate verify [--trust CERT]... [--sm2-id ID] FILE...`: check the enveloped
 * signature of XML messages and say exactly what is wrong with each.
 *
 * Each file gets one line on standard output: "FILE: OK ..." with the signer, or
 * "FILE: FAILED: reason" (digest mismatch, wrong key, untrusted certificate, signature not
 * covering the root, several signatures, no signature, not XML). Without --trust only the
 * signature itself is checked against the certificate it carries. sm2-sm3 signatures are
 * checked with the distinguishing identifier --sm2-id (default 1234567812345678). Exit 0 when every
 * file verifies, 1 when one does not, 2 on usage errors or unreadable trust files.
 *
 * What a line shows comes from the file (the signer's subject, the KeyName text, reasons that
 * quote them) or from its name: each is escaped with cg_text_show(), so a received file cannot
 * put control or bidi characters on the terminal.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "core/err.h"
#include "core/text.h"
#include "declare/declare.h"

/* Room for any text of n bytes escaped: at most 4 bytes (\xNN) for 1. */
#define SHOWN(n) ((n)*4 + 1)

static int exec_verify(struct cg_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, 't'},
        {"sm2-id", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    struct cg_err err;
    struct cg_trust *trust = NULL;
    struct cg_sig_info info;
    char file[SHOWN(4096)];
    char subject[SHOWN(sizeof(info.subject))];
    char key_name[SHOWN(sizeof(info.key_name))];
    char why[SHOWN(CG_ERR_MSG_MAX)];
    xmlDocPtr doc = NULL;
    const char *sm2_id = NULL;
    int status = CG_EXIT_OK;
    int c, i;

    cg_err_clear(&err);
    while ((c = getopt_long(argc, argv, "t:i:", opts, NULL)) != -1) {
        switch (c) {
        case 'i': sm2_id = optarg; break;
        case 't':
            if ((trust == NULL && cg_trust_new(&trust, &err) != CG_OK) ||
                cg_trust_add_file(trust, optarg, &err) != CG_OK) {
                cg_cmd_fail(&err);
                status = CG_EXIT_USAGE;
                goto done;
            }
            break;
        default: status = cg_cmd_usage_error(&cg_cmd_verify, "unknown option"); goto done;
        }
    }
    if (optind >= argc) {
        status = cg_cmd_usage_error(&cg_cmd_verify, "FILE expected");
        goto done;
    }
    if (sm2_id != NULL && trust == NULL) {
        status = cg_cmd_usage_error(&cg_cmd_verify, "--sm2-id goes with --trust");
        goto done;
    }
    if (sm2_id != NULL && cg_trust_set_sm2_id(trust, sm2_id, &err) != CG_OK) {
        cg_cmd_fail(&err);
        status = CG_EXIT_USAGE;
        goto done;
    }
    for (i = optind; i < argc; i++) {
        cg_err_clear(&err);
        cg_text_show(argv[i], file, sizeof(file));
        if (cg_xml_parse_file(argv[i], &doc, &err) == CG_OK &&
            cg_verify_info(doc, trust, &info, &err) == CG_OK) {
            printf("%s: OK: %s signature by %s (serial %s, KeyName %s, valid until %s)%s\n", file,
                   info.alg, cg_text_show(info.subject, subject, sizeof(subject)), info.serial,
                   info.key_name[0] != '\0'
                       ? cg_text_show(info.key_name, key_name, sizeof(key_name))
                       : "(none)",
                   info.not_after,
                   trust == NULL ? "; certificate not checked against trusted ones (--trust)"
                                 : "; certificate trusted");
        } else {
            printf("%s: FAILED: %s\n", file,
                   cg_text_show(err.msg[0] != '\0' ? err.msg : cg_strerror(err.code), why,
                                sizeof(why)));
            status = CG_EXIT_ERROR;
        }
        xmlFreeDoc(doc);
        doc = NULL;
    }
    (void)cli;
done:
    cg_trust_free(trust);
    return status;
}

const struct cg_cmd cg_cmd_verify = {
    "verify",
    "[--trust CERT]... [--sm2-id ID] FILE...",
    "check the XML-DSig signature of messages and say exactly what fails",
    "  -t, --trust CERT   PEM file of trusted signer or CA certificates (repeatable); the\n"
    "                     signing certificate must be one of them or issued under one\n"
    "  -i, --sm2-id ID    SM2 distinguishing identifier of sm2-sm3 signatures (with --trust;\n"
    "                     default 1234567812345678)\n",
    0,
    exec_verify,
};
