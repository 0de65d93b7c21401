#!/bin/sh
# http-e2e-sm2.sh - http-e2e.sh once more with an SM2 signing key: the 1,000 orders are signed
# sm2-sm3 (sign_alg unset, the algorithm follows the key) and handed over HTTPS to `cebgate
# port`, which verifies every signature and trusts the signer through the SM2 CA.
CG_SIGNER=sm2
. "${CG_SRCDIR:-.}/tests/e2e/http-e2e.sh"
