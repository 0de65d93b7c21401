/*
 * declare-keys.c - the configuration keys of building and signing messages.
 *
 * Registered with cg_conf_register() before a configuration is loaded; the order of
 * registration is the order of `cebgate config` and of the template `cebgate init` writes.
 */
#include "config.h"

#include <stddef.h>

#include "declare/declare.h"

const struct cg_conf_key cg_declare_conf_keys[] = {
    /* [declare] */
    {"declare", "schema_version", CG_CONF_ENUM, "202205", "202205|2018",
     "CEB schema edition the port runs"},
    /* The limits are the maxLength of BaseTransfer in the export schemas, 202205 and 2018 alike
     * (data/xsd/.../ceb-export.xsd); checked when the file is loaded, a value too long would
     * otherwise fail the schema in every message. */
    {"declare", "cop_code", CG_CONF_STR, NULL, "..18",
     "BaseTransfer copCode: code of the enterprise that transmits, at most 18 characters"},
    {"declare", "cop_name", CG_CONF_STR, NULL, "..100",
     "BaseTransfer copName: name of the enterprise that transmits, at most 100 characters"},
    {"declare", "dxp_id", CG_CONF_STR, NULL, "..30",
     "BaseTransfer dxpId: the DXP user id, at most 30 characters"},
    {"declare", "signer", CG_CONF_ENUM, "local", "local|remote",
     "local key, or a remote signing service"},
    {"declare", "sign_alg", CG_CONF_ENUM, NULL, "sm2-sm3|rsa-sha1|rsa-sha256",
     "signature algorithm; unset, it follows the key: SM2 key sm2-sm3 (the CEB specification's "
     "preferred algorithm, E-Port SM2 certificates), RSA key rsa-sha1 (the specification's other "
     "one); rsa-sha256 is not in the specification, only if the receiver asks for it"},
    {"declare", "sm2_id", CG_CONF_STR, "1234567812345678", NULL,
     "SM2 distinguishing identifier hashed into the signature (GM/T 0009 default)"},
    {"declare", "key_file", CG_CONF_PATH, NULL, NULL,
     "default signing key: RSA or SM2, PEM or PKCS#12"},
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
    {NULL, NULL, CG_CONF_STR, NULL, NULL, NULL},
};
