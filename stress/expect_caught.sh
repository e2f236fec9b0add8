#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# expect_caught.sh BINARY ARGS...: run the stress harness where it must
# fail: built against a mutant library (src/mutant.h), or with a hang
# injected for the watchdog. It is caught when, within 60 s, the harness
# reports a failure (exit 1), ThreadSanitizer reports a race (exit 66, set
# by TSAN_OPTIONS) or an internal check aborts (134). It survives when the
# run is clean (0) or hangs past 60 s without the watchdog firing.
set -u
# The longest per-thread history TSan keeps: a race whose first access has
# fallen out of the history is not reported (publish_early was missed once
# in ~10 runs with the default under load; 0 in 9 with this).
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 exitcode=66} history_size=7"
start=$(date +%s%N)
out=$(timeout 60 "$@" 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
case $rc in
  1 | 66 | 134)
    echo "caught (exit $rc) after ${ms} ms; first report:"
    echo "$out" | grep -m 3 -E 'genpool_stress: (overlaps|pattern|checkpoint|watchdog|other)|ThreadSanitizer|BUG' || true
    exit 0 ;;
  0) echo "SURVIVED: the harness ran clean"; echo "$out" | tail -n 3; exit 1 ;;
  *) echo "unexpected exit $rc after ${ms} ms"; echo "$out" | tail -n 20; exit 1 ;;
esac
