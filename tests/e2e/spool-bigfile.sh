#!/bin/sh
# spool-bigfile.sh - files in incoming/ are told apart (bank statement, payout, invoices,
# refund results or orders) by their first bytes only: an order file far larger than any
# statement limit is neither read whole nor allowed to stop the run. With [spool]
# max_file_size at 1 MiB, a 70 MB order file (sparse) in incoming/ and a 200 MB one in a
# seller folder are refused by the spool with the limit named, and a 270 MB bank statement by
# the statement import (limit 256 MiB); the good files of the same run are declared, cebgate
# stays small (peak RSS) and exits 1.
. "${CG_SRCDIR:-.}/tests/e2e/spool-lib.sh"

printf '[spool]\nmax_file_size = 1048576\n' >>"$W/cebgate.conf"
mkdir -p "$W/incoming/acme"
$HELPER orders own "$W/incoming/good.csv" 2 1
$HELPER orders own "$W/incoming/acme/good.csv" 3 11
head -1 "$W/incoming/good.csv" >"$W/incoming/big.csv"
truncate -s 70000000 "$W/incoming/big.csv"
head -1 "$W/incoming/good.csv" >"$W/incoming/acme/huge.csv"
truncate -s 200000000 "$W/incoming/acme/huge.csv"
# A bank statement over the statement limit (256 MiB) is refused by the statement import.
printf '<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n' \
    >"$W/incoming/acme/statement.xml"
truncate -s 270000000 "$W/incoming/acme/statement.xml"

python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    rc = subprocess.run(sys.argv[4:], stdout=out, stderr=err).returncode
open(sys.argv[3], "w").write("%d %d\n" % (rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
' "$T/out" "$T/err" "$T/rss" "$CEBGATE" -c "$W/cebgate.conf" run
read -r rc kb <"$T/rss"
check "the run exits 1 (files refused), not on an error (exit $rc)" [ "$rc" -eq 1 ]
sed 's/^/  stderr: /' "$T/err" | head -5
check "the good files are done" \
    sh -c "test -f '$W/done/good.csv' && test -f '$W/done/acme/good.csv'"
check "their 5 orders are declared" [ "$(count "$W/outbox" 'CEB303*')" -eq 5 ]
check "the 70 MB file is in failed/" test -f "$W/failed/big.csv"
check "its reason names the limit" grep -q 'over \[spool\] max_file_size 1048576' "$W/failed/big.csv.reason"
check "the 200 MB file is in failed/" test -f "$W/failed/acme/huge.csv"
check "its reason names the limit" \
    grep -q 'over \[spool\] max_file_size 1048576' "$W/failed/acme/huge.csv.reason"
check "the large statement is in failed/" test -f "$W/failed/acme/statement.xml"
check "its reason names the statement limit" grep -q \
    'acme/statement.xml: a statement of more than 268435456 bytes: split it' \
    "$W/failed/acme/statement.xml.reason"
check "the run says so" grep -q 'failed statement: acme/statement.xml: a statement of more' "$T/out"
# Read whole, the 200 MB file alone would take 200 MB; the sanitizer build starts near 70 MB.
check "none was read whole: peak RSS ${kb} kB < 150 MB" [ "$kb" -lt 153600 ]
check "the refused files are kept whole" \
    sh -c "[ \$(stat -c %s '$W/failed/big.csv') -eq 70000000 ] && [ \$(stat -c %s '$W/failed/acme/huge.csv') -eq 200000000 ]"
finish
