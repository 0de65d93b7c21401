#!/bin/sh
# refund-order.sh - `cebgate refund explain [SELLER/]ORDER-NO`: from an order to the refund units
# its goods belong to (through its export inventory, or its number and seller), each explained,
# or why there is none and what comes next: the seller declares by route A (never eligible:
# simplified 9610 declaration, no declaration for tax), the inventory is not released, no customs
# declaration (CEB792) is recorded for it yet, or the declaration is recorded but none of its
# items imported. ENTRY/ITEM and #ID still name a unit; a name that is neither is refused.
. "${CG_SRCDIR:-.}/tests/e2e/refund-lib.sh"

# acme declares by route B, b2b by route A (the default); no monthly summary at run
sed -i 's/^\[seller.acme\]$/[seller.acme]\nstatistics_flag = B/' "$W/cebgate.conf"
printf '[spool]\nsummary_day = 0\n' >>"$W/cebgate.conf"
H=order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight
{
    echo "$H"
    echo "LT-1201-001,USD,US,USNY,0.00,MUG-1,Mug,10,10.00,3120980105,SF Express,SF0000000000031,4"
    echo "LT-1201-003,USD,US,USNY,0.00,MUG-1,Mug,10,10.00,3120980105,SF Express,SF0000000000033,4"
    echo "LT-1201-004,USD,US,USNY,0.00,MUG-1,Mug,10,10.00,3120980105,SF Express,SF0000000000034,4"
    echo "LT-1201-005,USD,US,USNY,0.00,MUG-1,Mug,10,10.00,3120980105,SF Express,SF0000000000035,4"
} >"$W/incoming/acme/orders.csv"
{
    echo "$H"
    echo "LT-1201-002,USD,US,USNY,0.00,MUG-1,Mug,10,10.00,3120980105,SF Express,SF0000000000032,4"
} >"$W/incoming/b2b/orders.csv"
expect_rc 0 "orders of both sellers declared" cg run
release 2025-03-20 LT-1201-001 LT-1201-002 LT-1201-003 LT-1201-004
expect_rc 0 "all but LT-1201-005 released" cg run
invt() { sql "SELECT d.invt_no FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = '$1' AND d.msg_type = 603"; }
I1=$(invt LT-1201-001)
I3=$(invt LT-1201-003)
I4=$(invt LT-1201-004)
check "inventory numbers of the released orders" [ -n "$I1" ] && [ -n "$I3" ] && [ -n "$I4" ]
S5=$(sql "SELECT d.state FROM documents d JOIN orders o ON o.id = d.order_id WHERE o.order_no = 'LT-1201-005' AND d.msg_type = 603")
check "LT-1201-005's inventory has no release receipt" [ -n "$S5" ] && [ "$S5" != released ]

# LT-1201-001 and -003 summarised into declaration ...201; a unit for LT-1201-001 only
summary_result "$W/inbox/ceb792.xml" 224420250000000201 "$I1" "$I3"
expect_rc 0 "the summary result is read" cg run
{
    echo "$RATES_H"
    echo "6109100021,2019-04-01,,9,13,"
} >"$T/rates.csv"
expect_rc 0 "refund rates" cg refund rates "$T/rates.csv"
{
    echo "$ENTRIES_H"
    echo ",1,9610,B,2025-03-20,6109100021,Mug,,pcs,10,710.00,,$I1,LT-1201-001,,"
} >"$T/entries.csv"
expect_rc 0 "the unit of LT-1201-001" cg refund entries "$T/entries.csv" --as-of 2025-04-16

# ---- the seller's route is A
expect_rc 0 "the route-A order, as the seller asked for it" cg refund explain b2b/LT-1201-002
said "  says it is never eligible, with the rule, its flag the default" \
    "order b2b/LT-1201-002: no refund unit, and there will be none: seller b2b declares by route A (statistics_flag = A by default: neither [seller.b2b] nor [seller] sets it); a route-A inventory is a simplified 9610 declaration with no customs declaration for tax, so it is never eligible for the export VAT refund (regime NOT_ELIGIBLE_SIMPLIFIED, docs/refund.md); only route B (statistics_flag = B: released inventories summarised each month into a customs declaration) is refunded"
expect_rc 0 "the same order by its number alone" cg refund explain LT-1201-002
said "  says the same" \
    "order b2b/LT-1201-002: no refund unit, and there will be none: seller b2b declares by route A (statistics_flag = A by default: neither [seller.b2b] nor [seller] sets it); a route-A inventory is a simplified 9610 declaration with no customs declaration for tax, so it is never eligible for the export VAT refund (regime NOT_ELIGIBLE_SIMPLIFIED, docs/refund.md); only route B (statistics_flag = B: released inventories summarised each month into a customs declaration) is refunded"
# the flag set in [seller], which [seller.b2b] leaves out: named where it comes from
sed -i 's/^\[seller\]$/[seller]\nstatistics_flag = A/' "$W/cebgate.conf"
expect_rc 0 "the route-A order, its flag inherited from [seller]" cg refund explain b2b/LT-1201-002
said "  names [seller], which [seller.b2b] inherits" \
    "order b2b/LT-1201-002: no refund unit, and there will be none: seller b2b declares by route A (statistics_flag = A in [seller], which [seller.b2b] inherits); a route-A inventory is a simplified 9610 declaration with no customs declaration for tax, so it is never eligible for the export VAT refund (regime NOT_ELIGIBLE_SIMPLIFIED, docs/refund.md); only route B (statistics_flag = B: released inventories summarised each month into a customs declaration) is refunded"
# set in [seller.b2b] itself: that section
sed -i 's/^\[seller.b2b\]$/[seller.b2b]\nstatistics_flag = A/' "$W/cebgate.conf"
expect_rc 0 "the route-A order, its flag in [seller.b2b]" cg refund explain b2b/LT-1201-002
said "  names [seller.b2b]" \
    "order b2b/LT-1201-002: no refund unit, and there will be none: seller b2b declares by route A (statistics_flag = A in [seller.b2b]); a route-A inventory is a simplified 9610 declaration with no customs declaration for tax, so it is never eligible for the export VAT refund (regime NOT_ELIGIBLE_SIMPLIFIED, docs/refund.md); only route B (statistics_flag = B: released inventories summarised each month into a customs declaration) is refunded"

# ---- not released yet
expect_rc 0 "an order whose inventory is not released" cg refund explain acme/LT-1201-005
said "  says so, and what is needed" \
    "order acme/LT-1201-005: no refund unit yet: its export inventory is $S5, not released; a refund unit needs the inventory released by customs (800), then summarised into a customs declaration (the monthly summary CEB701 and its result CEB792), then the declaration's items imported (cebgate refund entries FILE)"

# ---- released, no declaration recorded
expect_rc 0 "a released order no summary result names" cg refund explain acme/LT-1201-004
said "  says the summary and its result come next" \
    "order acme/LT-1201-004: no refund unit yet: inventory $I4 is released, but no customs declaration is recorded for it: next, the monthly summary of its month (CEB701, cebgate summary) and its result (CEB792), which gives the declaration number; then the declaration's items (cebgate refund entries FILE, with $I4 in the inventories column)"

# ---- in a declaration, no unit imported
expect_rc 0 "a released order in a declaration with no unit for it" cg refund explain acme/LT-1201-003
said "  names the declaration and the items file" \
    "order acme/LT-1201-003: no refund unit yet: inventory $I3 is in customs declaration 224420250000000201 (CEB792), but no refund unit names it: next, the declaration's items (cebgate refund entries FILE, with $I3 in the inventories column, or order_no LT-1201-003 and seller acme)"

# ---- its unit, explained
expect_rc 0 "the unit explained by its name" cg refund explain 224420250000000201/1
cp "$T/out" "$T/unit.txt"
check "  it is the unit of LT-1201-001" grep -qx "order acme/LT-1201-001" "$T/unit.txt"
expect_rc 0 "the order with a unit" cg refund explain acme/LT-1201-001
{ echo "order acme/LT-1201-001: inventory $I1 (released): 1 refund unit"; cat "$T/unit.txt"; } >"$T/want"
check "  names its inventory and explains the unit" cmp -s "$T/want" "$T/out"
expect_rc 0 "the unit by #ID" cg refund explain "#1"
check "  still explains it" cmp -s "$T/unit.txt" "$T/out"

# ---- neither a unit nor an order
expect_rc 1 "a name that is neither" cg refund explain acme/LT-9999
check "  says what it is not" \
    grep -qxF "cebgate: 'acme/LT-9999': no refund unit (ENTRY/ITEM or #ID) and no order ([SELLER/]ORDER-NO) of that name" "$T/err"
expect_rc 1 "an unknown declaration item" cg refund explain 224420250000000201/7
check "  likewise" \
    grep -qxF "cebgate: '224420250000000201/7': no refund unit (ENTRY/ITEM or #ID) and no order ([SELLER/]ORDER-NO) of that name" "$T/err"
expect_rc 0 "the usage" cg refund --help
check "  names the forms explain takes" grep -q "explain \[SELLER/\]ORDER-NO" "$T/out"
finish
