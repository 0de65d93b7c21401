# settle-shopify-lib.sh - set-up shared by the settle-shopify-*.sh tests, on top of
# settle-lib.sh: `shopify_seller ORDER:WEIGHT...` adds seller shop reading the Shopify orders
# export (the built-in profile with a fixed destination port) and a shipments file with a
# waybill of that gross weight for each order number; `export_csv FILE ROW...` writes a Shopify
# orders export with the real column set, each ROW a list of Column=value joined by '|' (the
# other columns empty).
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"
shopify_seller() {
    mkdir -p "$W/incoming/shop"
    { cat "$CEBGATE_DATADIR/profiles/shopify.ini"; printf '\n[fixed]\npod = USNY\n'; } \
        >"$W/shopify-pod.ini"
    echo "order_no,logistics_code,logistics_name,logistics_no,gross_weight,pack_no" \
        >"$W/shipments.csv"
    for ow in "$@"; do
        echo "${ow%%:*},3120980105,SF Express,SF00000000${ow%%:*},${ow#*:},1" >>"$W/shipments.csv"
    done
    cat >>"$W/cebgate.conf" <<EOC
[seller.shop]
profile = $W/shopify-pod.ini
shipments = shipments.csv
EOC
}
export_csv() {
    out=$1; shift
    python3 - "$CG_TESTDATA/mapping/shopify/orders_export.csv" "$out" "$@" <<'EOP'
import csv, sys
head = next(csv.reader(open(sys.argv[1], newline="")))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(head)
    for row in sys.argv[3:]:
        cells = dict(c.split("=", 1) for c in row.split("|"))
        assert set(cells) <= set(head), set(cells) - set(head)
        w.writerow([cells.get(h, "") for h in head])
EOP
}
