#!/bin/sh
# settle-future.sh - a statement entry whose value date is after today in China (UTC+8) is
# imported with a warning naming the file, the line, the entry and the date; one dated today
# or before is imported without one. An entry known from another file is not warned again; a
# file with more than 10 such entries names the first 10 and counts the rest on one line.
. "${CG_SRCDIR:-.}/tests/e2e/settle-lib.sh"

# Today and tomorrow in China, from the clock (UTC+8, no daylight saving). The test's commands
# must fall on that day: while the China day ends within a minute, wait for the next one.
while [ $((($(date +%s) + 8 * 3600) % 86400)) -ge $((86400 - 60)) ]; do sleep 1; done
now=$(date +%s)
today=$(date -u -d "@$((now + 8 * 3600))" +%F)
tomorrow=$(date -u -d "@$((now + 8 * 3600 + 86400))" +%F)
H=receipt_id,date,value_date,currency,amount
printf '%s\n' "$H" "F-1,2025-03-01,2025-03-01,USD,10.00" "F-2,$today,$today,USD,20.00" \
    "F-3,$today,$tomorrow,USD,30.00" "F-4,2025-03-02,2099-12-31,USD,40.00" >"$T/future.csv"
expect_rc 0 "a statement with two value dates after today is imported" \
    cg settle import "$T/future.csv"
check "all four recorded" grep -Fxq \
    "$T/future.csv: collections CSV, 4 entries: 4 receipts recorded, 0 known from another file, 0 allocations made" \
    "$T/out"
printf '%s\n' \
    "cebgate: warn: $T/future.csv:4: entry F-3: value date $tomorrow is after today ($today, China time); imported as the statement gives it" \
    "cebgate: warn: $T/future.csv:5: entry F-4: value date 2099-12-31 is after today ($today, China time); imported as the statement gives it" \
    >"$T/want"
check "a warning for each, naming file, line, entry and date; none for today or before" \
    cmp -s "$T/err" "$T/want"
check "recorded with the dates given" \
    [ "$(sql "SELECT group_concat(value_on, ' ') FROM (SELECT value_on FROM fx_receipt ORDER BY id)")" = "2025-03-01 $today $tomorrow 2099-12-31" ]

printf '%s\n' "$H" "F-4,2025-03-02,2099-12-31,USD,40.00" "F-5,2025-03-03,2025-03-03,USD,5.00" \
    >"$T/again.csv"
expect_rc 0 "a file with F-4 again and one new entry" cg settle import "$T/again.csv"
check "F-4 known, F-5 recorded" grep -Fxq \
    "$T/again.csv: collections CSV, 2 entries: 1 receipt recorded, 1 known from another file, 0 allocations made" \
    "$T/out"
check "no warning: F-4 was warned of when it was recorded" [ ! -s "$T/err" ]

{
    echo "$H"
    for i in $(seq 1 12); do echo "M-$i,2025-03-04,2099-01-$(printf %02d "$i"),USD,1.00"; done
} >"$T/many.csv"
expect_rc 0 "a file of 12 entries dated 2099" cg settle import "$T/many.csv"
{
    for i in $(seq 1 10); do
        echo "cebgate: warn: $T/many.csv:$((i + 1)): entry M-$i: value date 2099-01-$(printf %02d "$i") is after today ($today, China time); imported as the statement gives it"
    done
    echo "cebgate: warn: $T/many.csv: 2 more entries with a value date after today ($today, China time); imported as the statement gives them"
} >"$T/want"
check "the first 10 named, the other 2 counted" cmp -s "$T/err" "$T/want"
check "all 12 recorded" [ "$(sql "SELECT count(*) FROM fx_receipt WHERE value_on LIKE '2099-01-%'")" -eq 12 ]
finish
