/*
 * declare-sign-check.c - which certificates may sign a CEB message, one rule for `cebgate sign`
 * (checked when the key is loaded) and for verifying (`cebgate verify`, the port).
 *
 * A signing certificate must carry a key strong enough (RSA >= 2048 bits, EC/SM2 >= 256), be
 * meant for signatures (keyUsage digitalSignature or nonRepudiation when the extension is
 * there), not be a CA (its key signs certificates, not messages) and not be a TLS-only
 * certificate (extendedKeyUsage serverAuth/clientAuth without a signing purpose). Reads the
 * certificate only; fails with CG_ESIG and the reason.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "declare/declare-sign-int.h"

int cg_sign_cert_check(X509 *cert, struct cg_err *err)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    uint32_t flags = X509_get_extension_flags(cert);
    uint32_t eku;
    int bits;
    int id;

    if (pub == NULL)
        return CG_ERR_SET(err, CG_ESIG, "signing certificate: its public key cannot be read");
    bits = EVP_PKEY_get_bits(pub);
    id = EVP_PKEY_get_base_id(pub);
    if (id == EVP_PKEY_RSA && bits < CG_SIGN_MIN_RSA_BITS)
        return CG_ERR_SET(err, CG_ESIG,
                          "signing certificate: RSA key of %d bits is too weak (at least %d)", bits,
                          CG_SIGN_MIN_RSA_BITS);
    if (id != EVP_PKEY_RSA && bits < CG_SIGN_MIN_EC_BITS)
        return CG_ERR_SET(err, CG_ESIG,
                          "signing certificate: key of %d bits is too weak (at least %d)", bits,
                          CG_SIGN_MIN_EC_BITS);
    if ((flags & EXFLAG_CA) != 0 ||
        ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & KU_KEY_CERT_SIGN) != 0))
        return CG_ERR_SET(err, CG_ESIG,
                          "signing certificate is a CA certificate (basicConstraints CA:TRUE or "
                          "keyUsage keyCertSign); a CA's key must not sign messages");
    if ((flags & EXFLAG_KUSAGE) != 0 &&
        (X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0)
        return CG_ERR_SET(err, CG_ESIG,
                          "signing certificate: keyUsage has neither digitalSignature nor "
                          "nonRepudiation (an encryption-only certificate)");
    if ((flags & EXFLAG_XKUSAGE) != 0) {
        eku = X509_get_extended_key_usage(cert);
        if ((eku & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) != 0 &&
            (eku & (XKU_SMIME | XKU_CODE_SIGN | XKU_ANYEKU)) == 0)
            return CG_ERR_SET(err, CG_ESIG,
                              "signing certificate is a TLS certificate (extendedKeyUsage "
                              "serverAuth/clientAuth only)");
    }
    return CG_OK;
}
