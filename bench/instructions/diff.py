"""Per-request instructions of two callgrind profiles, and the functions that differ most.

Usage: diff.py OUT_DIR A B REQUESTS. Reads OUT_DIR/A.*.out.1 and OUT_DIR/B.*.out.1 (the
dump taken right after the measured load) and prints markdown: totals per request, and
the functions whose own (exclusive) instructions per request differ most.
"""
import collections
import re
import sys
from pathlib import Path

HASH = re.compile(r"::h[0-9a-f]{16}")


def self_costs(path):
    """Exclusive instruction counts per function (hash suffixes dropped) from one file."""
    names, cost = {}, collections.Counter()
    fn, in_call = None, False
    for line in path.open():
        m = re.match(r"^fn=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(2):
                names[m.group(1)] = HASH.sub("", m.group(2).strip())
            fn, in_call = names.get(m.group(1), m.group(1)), False
            continue
        m = re.match(r"^c(?:fn|fi|fe|ob|fl)=\((\d+)\)(?: (.*))?$", line)
        if m:
            if line.startswith("cfn=") and m.group(2):
                names[m.group(1)] = HASH.sub("", m.group(2).strip())
            continue
        if line.startswith("calls="):
            in_call = True  # the next cost line is the call's inclusive cost
            continue
        m = re.match(r"^(?:[+-]?\d+|\*) (\d+)$", line)
        if m and fn is not None:
            if in_call:
                in_call = False
            else:
                cost[fn] += int(m.group(1))
    return cost


def main():
    out, a, b, requests = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    ca = self_costs(next(out.glob(f"{a}.*.out.1")))
    cb = self_costs(next(out.glob(f"{b}.*.out.1")))
    ta, tb = sum(ca.values()) / requests, sum(cb.values()) / requests
    print(f"# Instructions per request: {a} beside {b} ({requests} requests)\n")
    print(f"| | {a} | {b} | ratio |")
    print("|---|---|---|---|")
    print(f"| instructions / request | {ta:,.0f} | {tb:,.0f} | {ta / tb:.2f} |\n")
    print(f"Where {a} spends more (own instructions per request, top 30):\n")
    print(f"| more | {a} | {b} | function |")
    print("|---|---|---|---|")
    for name in sorted(set(ca) | set(cb), key=lambda k: cb[k] - ca[k])[:30]:
        print(f"| {(ca[name] - cb[name]) / requests:,.0f} | {ca[name] / requests:,.0f} | "
              f"{cb[name] / requests:,.0f} | `{name[:110]}` |")


main()
