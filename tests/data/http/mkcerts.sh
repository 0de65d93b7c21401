#!/bin/sh
# mkcerts.sh DIR - make the throw-away certificates the HTTP transport tests use (EC P-256,
# valid for two days):
#   ca.pem ca.key             the test CA the sender trusts
#   server.pem server.key     server certificate for 127.0.0.1/localhost, signed by the CA
#   wrongname.pem .key        signed by the CA, but for another host name
#   rogue.pem rogue.key       self-signed server certificate for 127.0.0.1 (not trusted)
#   client.pem client.key     client certificate signed by the CA (mutual TLS)
#   client-enc.key            client.key encrypted with the passphrase in client.pass
set -eu
dir=$1
o=${OPENSSL:-openssl}
[ -n "$o" ] || o=openssl
cd "$dir"

newkey() { "$o" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

newkey ca.key
"$o" req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=cebgate test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# sign NAME SUBJECT EXTENSIONS
sign() {
    newkey "$1.key"
    "$o" req -new -key "$1.key" -out "$1.csr" -subj "$2"
    printf '%s\n' "$3" >"$1.ext"
    "$o" x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}
sign server "/CN=127.0.0.1" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
sign wrongname "/CN=port.example" "subjectAltName=DNS:port.example
extendedKeyUsage=serverAuth"
sign client "/CN=cebgate test client" "extendedKeyUsage=clientAuth"

newkey rogue.key
"$o" req -x509 -new -key rogue.key -out rogue.pem -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"

printf 'correct horse battery\n' >client.pass
"$o" pkcs8 -topk8 -in client.key -out client-enc.key -v2 aes-256-cbc \
    -passout file:client.pass
