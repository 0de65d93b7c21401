# bench/spool-lib.sh - sourced by the spool benchmarks: spool_setup writes, in the current
# directory, a signing key and certificate (RSA-2048), the catalogue and cebgate.conf for one
# seller of cebgate CSV orders with workdir WORKDIR, signing with rsa-sha256. SRC is the tree.
spool_setup() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
        -subj '/CN=bench' -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1
    cp "$SRC/tests/data/mapping/catalog.csv" .
    cat >cebgate.conf <<EOC
[general]
workdir = $1
[seller]
ebp_code = 3301960000
ebp_name = Bench Platform
ebc_code = 3301960001
ebc_name = Bench Export
agent_code = 3301980002
agent_name = Bench Broker
owner_code = 3301960001
owner_name = Bench Export
customs_code = 2244
port_code = 2244
catalog = $PWD/catalog.csv
profile = own
[declare]
cop_code = 3301960001
cop_name = Bench Export
dxp_id = DXPENT0000000001
key_file = $PWD/key.pem
cert_file = $PWD/cert.pem
sign_alg = rsa-sha256
EOC
}
