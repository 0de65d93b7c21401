#!/usr/bin/env python3
"""map-ref.py - reference for bench/map.sh: each CSV row of FILE as one line of JSON on stdout."""
import csv
import json
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as f:
    out = sys.stdout
    for row in csv.DictReader(f):
        out.write(json.dumps(row, ensure_ascii=False))
        out.write("\n")
