#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""icount.py - instructions per hot-path pair, counted with callgrind.

usage: icount.py [--driver build-release/bench/icount] [--out FILE.json] [KIND ...]
       icount.py churn        # issue 15's churn pair, on request only

Runs the driver bench/icount.c under `valgrind --tool=callgrind` twice per
kind, with LOW and HIGH pairs; (Ir(HIGH) - Ir(LOW)) / (HIGH - LOW) is the
instructions of one alloc+free pair, setup, warm-up and exit cancelled out.
Callgrind counts executed instructions, so the numbers repeat exactly run to
run whatever the machine's load (the reason they exist: timings on a shared
2-core VM drift by 2x). Prints one line per kind and writes a JSON object
{"tool": ..., "pairs": [LOW, HIGH], "ir_per_pair": {kind: float}}.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# the hot pairs (1 granule) that scripts/bench reports, then "search" (the
# 1-granule pair in a 90 % random fill, issue 10's search-prev counterpart;
# results.py keeps it out of the hot-pair tables, HOT_KINDS); "churn" (a
# random-size pair, see bench/icount.c) is counted only when named
HOT_KINDS = ["lf", "sc", "tc", "spin", "ticket", "mcs", "glibc", "jemalloc"]
KINDS = HOT_KINDS + ["search"]
LOW, HIGH = 2000, 22000
# jemalloc's initial-exec TLS needs more static TLS than glibc reserves
# (bench/reexec.c does the same for gbench).
TUNABLES = "glibc.rtld.optional_static_tls=16384"


def collected(driver, kind, pairs):
    """Total instructions (Ir) of one run, or None if the run failed."""
    env = dict(os.environ, GLIBC_TUNABLES=TUNABLES)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           driver, kind, str(pairs)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.stderr.write("icount: %s %d failed (exit %d):\n%s\n"
                         % (kind, pairs, p.returncode, p.stderr[-2000:]))
        return None
    return int(m.group(1))


def valgrind_version():
    try:
        return subprocess.run(["valgrind", "--version"], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--driver", default="build-release/bench/icount")
    ap.add_argument("--out")
    ap.add_argument("kinds", nargs="*", default=KINDS)
    a = ap.parse_args()
    res = {}
    for k in a.kinds:
        lo, hi = collected(a.driver, k, LOW), collected(a.driver, k, HIGH)
        if lo is None or hi is None:
            continue
        res[k] = round((hi - lo) / (HIGH - LOW), 1)
        print("icount: %-9s %7.1f instructions per alloc+free pair" % (k, res[k]))
    out = {"tool": valgrind_version(), "pairs": [LOW, HIGH], "ir_per_pair": res}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)
    return 0 if res else 1


if __name__ == "__main__":
    sys.exit(main())
