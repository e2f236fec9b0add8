#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# replay_smoke.sh REPLAY_BENCH TRACE.xz: not a measurement; the replay
# benchmark still runs on a recorded trace, every allocator once, and
# every genpool replay is clean (suite 'bench').
set -eu
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
xz -dc "$2" >"$t/smoke.trace"
"$1" --reps 1 --out "$t/out.json" "$t/smoke.trace"
n=$(grep -c '"name": "replay/' "$t/out.json")
# 4 genpool variants and glibc at 2 granules; jemalloc too where it is installed
[ "$n" -ge 10 ] || { echo "expected at least 10 runs, got $n"; exit 1; }
! grep -q '"clean": false' "$t/out.json" || { echo "a replay was not clean"; exit 1; }
echo "replay smoke: $n runs, all clean"
