#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check.sh CANARY: passes only if ThreadSanitizer reports the canary's race.
set -u
out=$(TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$1" 2>&1)
rc=$?
if [ "$rc" -eq 66 ] && grep -q "WARNING: ThreadSanitizer: data race" <<<"$out"; then
  echo "tsan_canary: ThreadSanitizer reported the deliberate race, as it must"
  exit 0
fi
echo "tsan_canary: ThreadSanitizer did NOT report the deliberate race (exit $rc)"
echo "$out" | tail -n 20
exit 1
