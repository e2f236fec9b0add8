#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# models/check.sh MODEL.pml pass|fail [DEFINE]: verify a Promela model with
# spin (exhaustive safety search) and expect it to hold ("pass") or to be
# refuted ("fail", for a deliberately broken mutant built with -DDEFINE).
set -euo pipefail
model=$(realpath "$1"); expect=$2; define=${3:-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
spin ${define:+-D$define} -a "$model" >/dev/null
cc -O2 -DSAFETY -o pan pan.c
./pan -m100000 >out.txt 2>&1 || true
grep -q "max search depth too small" out.txt && { echo "search truncated"; exit 1; }
errors=$(awk '/errors:/ {print $NF}' out.txt)
states=$(awk '/states, stored/ {print $1}' out.txt)
echo "$(basename "$model") ${define:-(as built)}: $states states, $errors errors"
grep -m1 "assertion violated" out.txt || true
case "$expect" in
  pass) [ "$errors" = 0 ] ;;
  fail) [ "$errors" != 0 ] || { echo "mutant survived: the model check is blind"; exit 1; } ;;
  *) echo "expect pass or fail" >&2; exit 2 ;;
esac
