#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# fuzz/run.sh replay EXE CORPUS
#   run every input of CORPUS once (libFuzzer -runs=0); fails on any crash.
# fuzz/run.sh fuzz EXE CORPUS SECONDS [ARTIFACT_DIR]
#   fuzz for SECONDS starting from CORPUS; new inputs go to a temporary
#   directory that is removed afterwards, so the committed corpus is only
#   read. Crashing inputs are kept in ARTIFACT_DIR (default: the current
#   directory). Prints libFuzzer's final stats and one summary line:
#   "EXE: N execs, corpus M inputs (K committed), seed S".
# GENPOOL_FUZZ_SEED picks libFuzzer's seed (default 0: a random one, which
# the summary line names). scripts/test fixes it, so that CI's fuzz stage
# is a reproducible regression check; discovery is scripts/fuzz's job.
# Both modes exit 0 or 1, never libFuzzer's 77, which meson takes as a skip.
set -euo pipefail

mode=$1 exe=$2 corpus=$3
[ -d "$corpus" ] || { echo "run.sh: no corpus directory $corpus" >&2; exit 2; }
name=$(basename "$exe")
# Any report is fatal; leaks too (every input must destroy what it made).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
unset GENPOOL_DEBUG

case "$mode" in
replay)
  # any failure exits 1: libFuzzer's crash status 77 would read as "skipped";
  # the crash copy libFuzzer writes goes to a temporary directory, not to $PWD
  work=$(mktemp -d "${TMPDIR:-/tmp}/genpool-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  "$exe" -runs=0 -timeout=10 -error_exitcode=1 -artifact_prefix="$work/" "$corpus" || exit 1
  echo "$name: replayed $(find "$corpus" -type f | wc -l) inputs"
  ;;
fuzz)
  secs=$4 artifacts=${5:-$PWD}
  seed=${GENPOOL_FUZZ_SEED:-0}
  [ "$seed" != 0 ] || seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
  mkdir -p "$artifacts"
  work=$(mktemp -d "${TMPDIR:-/tmp}/genpool-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  log="$work/log"
  mkdir "$work/corpus"
  rc=0
  "$exe" -seed="$seed" -max_total_time="$secs" -timeout=10 -max_len=4096 -print_final_stats=1 \
    -error_exitcode=1 -artifact_prefix="$artifacts/$name-" "$work/corpus" "$corpus" \
    >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    grep -v 'WARNING: AddressSanitizer failed to allocate' "$log" | tail -n 60
    echo "$name: FAILED (exit $rc, seed $seed); crashing input in $artifacts/" >&2
    exit 1
  fi
  grep '^stat::' "$log" || true
  execs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
  corp=$(grep -E '#[0-9]+[[:space:]]+DONE' "$log" | sed -E 's/.*corp: ([0-9]+).*/\1/' | tail -n 1)
  echo "$name: ${execs:-?} execs, corpus ${corp:-?} inputs ($(find "$corpus" -type f | wc -l) committed), seed $seed"
  ;;
*)
  echo "usage: run.sh replay EXE CORPUS | run.sh fuzz EXE CORPUS SECONDS [ARTIFACT_DIR]" >&2
  exit 2
  ;;
esac
