/*
 * remote-signer.h - a small implementation of the remote signing protocol
 * (docs/remote-signer.md) for the tests: libmicrohttpd on loopback, HTTP or HTTPS, signing
 * with a PEM key it is given. Not part of cebgate.
 */
#ifndef CG_TEST_REMOTE_SIGNER_H
#define CG_TEST_REMOTE_SIGNER_H

struct rs_opts {
    const char *key_file;  /* PEM private key */
    const char *cert_file; /* PEM certificate returned to clients */
    const char *key_name;  /* returned as key_name, may be NULL */
    const char *token;     /* required bearer token, or NULL */
    const char *tls_cert;  /* HTTPS when set (with tls_key) */
    const char *tls_key;
    int fail_status; /* answer every request with this HTTP status when not 0 */
    int corrupt;     /* flip a bit of every signature value */
    int sm2_der;     /* sm2-sm3: answer the DER signature instead of r||s (a protocol error) */
    int log_errors;  /* print libmicrohttpd's messages (refused TLS handshakes...) on stderr */
};

struct rs_server;

/* Start on 127.0.0.1 with a free port; NULL on failure. */
struct rs_server *rs_start(const struct rs_opts *o, unsigned *port);
void rs_stop(struct rs_server *s);
/* Requests answered so far. */
unsigned rs_requests(const struct rs_server *s);

#endif
