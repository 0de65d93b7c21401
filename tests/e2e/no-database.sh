#!/bin/sh
# no-database.sh - commands that only read the database, and the decisions on what it holds
# (dismiss, resend, cancel, return, summary), refuse, creating
# nothing, where there is none (a cron job started in the wrong folder must not report an empty
# all-clear, nor "not found"); commands that write create it as before.
. "${CG_SRCDIR:-.}/tests/e2e/lib.sh"

unset CEBGATE_CONF
hint='not a working directory? run cebgate init DIR, or give -c FILE'

# An empty folder, no configuration: the defaults put the working directory here.
mkdir "$T/empty"
E=$(cd "$T/empty" && pwd -P)
nodb="cebgate: no database at $E/cebgate.db (workdir $E, the current directory by default: no -c FILE, no CEBGATE_CONF, no ./cebgate.conf): $hint"
for args in "status --pending" "report" "report fx aging" "settle explain X" "refund explain X"; do
    # shellcheck disable=SC2086 # the words of args are the arguments
    expect_rc 2 "$args in an empty folder" sh -c "cd '$T/empty' && exec \"\$0\" \"\$@\"" \
        "$CEBGATE" $args
    check "  says where it looked and what to do" [ "$(cat "$T/err")" = "$nodb" ]
    check "  prints nothing on stdout" [ ! -s "$T/out" ]
    check "  creates nothing" [ -z "$(ls -A "$T/empty")" ]
done

# Decisions on what the database holds refuse the same way: nothing to dismiss, resend, cancel,
# return or summarise.
for args in "dismiss orders.csv --reason x" "dismiss --unknown --reason x" \
    "resend SO-1 --reason x" "cancel SO-1 --reason x" "summary --month 202611" \
    "return SO-1 --reason damaged --traf-name CA1234 --voyage CA1234"; do
    # shellcheck disable=SC2086 # the words of args are the arguments
    expect_rc 2 "$args in an empty folder" sh -c "cd '$T/empty' && exec \"\$0\" \"\$@\"" \
        "$CEBGATE" $args
    check "  says where it looked and what to do" [ "$(cat "$T/err")" = "$nodb" ]
    check "  creates nothing" [ -z "$(ls -A "$T/empty")" ]
done

# A configuration naming a working directory without a database: the file is named.
mkdir "$T/w"
printf '[general]\nworkdir = %s\n' "$T/w" >"$T/bare.conf"
W=$(cd "$T/w" && pwd -P)
expect_rc 2 "status --pending with a configuration and no database" \
    "$CEBGATE" -c "$T/bare.conf" status --pending
check "  names the configuration" [ "$(cat "$T/err")" = \
    "cebgate: no database at $W/cebgate.db (workdir $W, from $T/bare.conf): $hint" ]
check "  creates nothing" [ -z "$(ls -A "$T/w")" ]
# A command that writes still creates the database.
expect_rc 0 "settle tick writes" "$CEBGATE" -c "$T/bare.conf" settle tick
check "  and creates the database" test -f "$T/w/cebgate.db"

# In a working directory made by init, they answer as before.
expect_rc 0 "init" "$CEBGATE" init "$T/i"
expect_rc 0 "status --pending in a working directory" \
    sh -c "cd '$T/i' && exec \"\$0\" status --pending" "$CEBGATE"
check "  nothing pending" [ "$(cat "$T/out")" = "0 documents pending" ]
expect_rc 0 "report in a working directory" "$CEBGATE" -c "$T/i/cebgate.conf" report
check "  needs nothing" grep -qx '  nothing' "$T/out"
expect_rc 1 "settle explain of an unknown order" "$CEBGATE" -c "$T/i/cebgate.conf" settle explain X
check "  says there is no such order" [ "$(cat "$T/err")" = "cebgate: order X: no such order of any seller" ]

finish
