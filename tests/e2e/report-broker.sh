#!/bin/sh
# report-broker.sh - what the morning report tells a broker to do, line by line, after a night of
# three sellers: the section of the day's runs is named for the day it covers.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

mkdir -p "$W/incoming/acme"
head='order_no,currency,country,pod,freight,sku,item_name,qty,price,logistics_code,logistics_name,logistics_no,gross_weight'
# acme: BR-1 declared (CEB303, CEB505, CEB603); BR-2 sells a SKU the catalogue does not have
cat >"$W/incoming/acme/orders.csv" <<EOC
$head
BR-1,USD,US,USNY,5.00,TS-001,Item 0,1,3.50,3120980105,SF Express,SF0000000000101,2.5
BR-2,USD,US,USNY,5.00,NOPE-2,Item 1,1,3.50,3120980105,SF Express,SF0000000000102,2.5
EOC
expect_rc 1 "the first run rejects BR-2" cg run
DAY=$(sql "SELECT substr(taken_at, 1, 10) FROM input_files WHERE name = 'orders.csv'")

# The day's runs: named for their day, in text and HTML.
expect_rc 0 "report" cg report
cp "$T/out" "$T/report.txt"
check "the runs are headed by their day" \
    grep -Fxq "Runs of $DAY (UTC: the input files taken that day)" "$T/report.txt"
check "  1 file, 1 order taken, 1 rejected, 3 messages" \
    grep -Fxq "  1 file (0 failed), 1 order taken, 1 rejected, 0 held, 3 messages" "$T/report.txt"
check "  no heading says last run" sh -c "! grep -qi 'last run' '$T/report.txt'"
check "the reasons of that day's rejections" \
    grep -Fxq "Reasons orders were rejected in the runs of $DAY (1)" "$T/report.txt"
expect_rc 0 "report --html" cg report --html "$T/page.html"
check "the page heads the runs by their day" grep -Fq "<h2>Runs of $DAY</h2>" "$T/page.html"
finish
