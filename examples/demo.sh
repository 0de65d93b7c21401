#!/bin/sh
# demo.sh - run by ./quickstart demo: a working directory, its configuration, a first look.
set -eu
: "${CEBGATE:=cebgate}"
w=$(mktemp -d "${TMPDIR:-/tmp}/cebgate-demo.XXXXXX")
trap 'rm -rf "$w"' EXIT
echo "== cebgate init $w"
"$CEBGATE" init "$w"
echo
echo "== cebgate version"
"$CEBGATE" version
echo
echo "== cebgate config (effective configuration, first sections)"
"$CEBGATE" -c "$w/cebgate.conf" config | sed -n '1,30p'
echo
echo "demo finished"
