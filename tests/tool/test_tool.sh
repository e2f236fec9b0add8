#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_tool.sh GENPOOL PRELOAD MT_ALLOC MK_TRACE: the `genpool` tool end to
# end (suite 'tool'): record a real program (sort) and a multi-threaded one,
# info, replay under each algorithm, the multi-threaded replay's final
# occupancy, a pool log with chunks, a replay failure the log did not have
# (exit 1, named), map to PNG and SVG at asked sizes, every bad-file and
# bad-option case (exit 2, one line, nothing written), --help everywhere.
set -u
G=$1; export GENPOOL_PRELOAD=$2; MT=$3; MK=$4
T=$(mktemp -d /tmp/genpool-tool.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# expect STATUS DESCRIPTION -- COMMAND...: exit status and output to $T/out, $T/err
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$what: exit $rc, expected $want"; sed 's/^/  | /' "$T/err" | head -5
    return 1
  fi
  ok "$what"
}
# bad CASE-NAME NEEDLE -- COMMAND...: exit 2, one stderr line naming NEEDLE
bad() {
  local what=$1 needle=$2; shift 3
  expect 2 "$what" -- "$@" || return
  [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$what: not one line: $(cat "$T/err")"
  grep -q -- "$needle" "$T/err" || fail "$what: '$needle' not in: $(cat "$T/err")"
  [ -s "$T/out" ] && fail "$what: wrote to stdout"
}

# --- record a real program ---
seq 1 3000 | sed 's/$/ genpool/' | shuf --random-source=/dev/zero >"$T/in.txt" 2>/dev/null ||
  seq 3000 -1 1 >"$T/in.txt"
expect 0 "record sort" -- "$G" record -o "$T/sort.trace" -- sort "$T/in.txt"
[ -s "$T/sort.trace" ] || fail "record wrote no trace"
expect 0 "info" -- "$G" info "$T/sort.trace"
for k in events: threads: duration: "peak live:" "size histogram" leaks:; do
  grep -q "$k" "$T/out" || fail "info lacks '$k'"
done
grep -q 'malloc trace of "sort"' "$T/out" || fail "info: program name"

# --- replay under each algorithm ---
for a in "--algo first" "--algo best" "--algo scalable" "--algo align:256" \
         "--algo first --cache" "--algo best --order 4" "--algo first --order 4 --threads 2"; do
  # shellcheck disable=SC2086
  expect 0 "replay $a" -- "$G" replay $a "$T/sort.trace" && {
    grep -q 'clean$' "$T/out" || fail "replay $a: not clean"; }
done
expect 0 "replay --json" -- "$G" replay --json "$T/sort.trace"
grep -q '"clean": true}' "$T/out" || fail "replay --json: $(cat "$T/out")"

# --- multi-threaded trace: replay on threads reproduces the final occupancy ---
expect 0 "record a 4-thread program" -- "$G" record -o "$T/mt.trace" -- "$MT"
expect 0 "info mt" -- "$G" info "$T/mt.trace"
grep -q 'threads:   [4-9]' "$T/out" || fail "mt trace: $(grep threads: "$T/out")"
grep -Eq 'leaks: +1[0-9][0-9] allocations' "$T/out" || fail "mt leaks: $(grep leaks: "$T/out")"
for n in 1 2 4; do
  for c in "" "--cache"; do
    # shellcheck disable=SC2086
    expect 0 "replay mt --threads $n $c" -- "$G" replay --threads $n $c "$T/mt.trace" || continue
    [ "$n" -eq 1 ] || grep -q 'match$' "$T/out" || fail "mt occupancy: $(grep threads: "$T/out")"
  done
done

# --- fork and exec: every process its own valid trace ---
expect 0 "record a forking program" -- "$G" record -o "$T/fork.trace" -- "$MT" fork
grep -q 'and 1 more processes' "$T/err" || fail "fork: $(cat "$T/err")"
for f in "$T"/fork.trace.*; do
  expect 0 "info of the forked child" -- "$G" info "$f"
  grep -q 'threads:   1$' "$T/out" || fail "child threads: $(grep threads: "$T/out")"
  grep -q '(40 allocations, 20 frees' "$T/out" || fail "child events: $(grep events: "$T/out")"
done
expect 0 "record sh running two programs" -- "$G" record -o "$T/sh.trace" -- \
  sh -c "sort '$T/in.txt' >/dev/null; sort '$T/in.txt' >/dev/null"
n=0
for f in "$T"/sh.trace.*; do
  "$G" info "$f" | grep -q 'malloc trace of "sort"' && n=$((n + 1))
done
[ "$n" -eq 2 ] || fail "sh: $n sort traces, expected 2"

# --- a pool event log: chunks from its ADD records ---
"$MK" pool "$T/pool.trace" || fail "mk_trace pool"
expect 0 "info pool log" -- "$G" info "$T/pool.trace"
grep -q '2 chunks' "$T/out" || fail "pool info: $(grep events: "$T/out")"
expect 0 "replay pool log" -- "$G" replay "$T/pool.trace"
grep -q 'the log: ' "$T/out" || fail "pool replay lacks the log's fragmentation"
expect 0 "replay pool log best" -- "$G" replay --algo best "$T/pool.trace"

# --- a failure the log did not have: exit 1, named ---
"$MK" tight "$T/tight.trace" || fail "mk_trace tight"
expect 1 "replay failure named" -- "$G" replay --order 10 "$T/tight.trace"
grep -q 'event 2 (thread 1): alloc of 512 bytes (1 granules) failed here but succeeded in the log; pool: 1024 bytes' \
  "$T/err" || fail "failure not named: $(cat "$T/err")"

# --- map: PNG and SVG, valid, at the asked size ---
png_size() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}'; }
expect 0 "map png" -- "$G" map --peak --width 640 --height 480 -o "$T/m.png" "$T/sort.trace"
[ "$(head -c 8 "$T/m.png" | od -An -tx1 | tr -d ' ')" = "89504e470d0a1a0a" ] || fail "not a PNG"
[ "$(od -An -c -j12 -N4 "$T/m.png" | tr -d ' ')" = "IHDR" ] || fail "PNG: no IHDR"
[ "$(png_size "$T/m.png")" = "640x480" ] || fail "PNG size $(png_size "$T/m.png")"
expect 0 "map svg by age" -- "$G" map --at 100 --color age --width 500 --height 300 -o "$T/m.svg" "$T/mt.trace"
grep -q '<svg[^>]* width="500px" height="300px"' "$T/m.svg" || fail "SVG size: $(grep -o '<svg[^>]*>' "$T/m.svg")"
tail -c 20 "$T/m.svg" | grep -q '</svg>' || fail "SVG not closed"
grep -q 'after event 100 of' "$T/m.svg" 2>/dev/null || true  # text is glyphs in SVG
expect 0 "map pool log png" -- "$G" map -o "$T/p.png" "$T/pool.trace"
[ "$(png_size "$T/p.png")" = "1024x768" ] || fail "pool PNG size"
ls "$T"/*.tmp* >/dev/null 2>&1 && fail "map left a temporary file"

# --- bad input: exit 2, one line naming the problem, nothing written ---
: >"$T/empty"; printf 'GPTRACE\0\1\0' >"$T/short"; head -c 200 /bin/sh >"$T/elf"
"$MK" version "$T/v2"; "$MK" recsize "$T/r40"
for sub in info replay "map -o $T/bad.png"; do
  # shellcheck disable=SC2086
  { bad "$sub missing" "cannot open" -- "$G" $sub "$T/nope"
    bad "$sub empty" "empty file" -- "$G" $sub "$T/empty"
    bad "$sub truncated header" "truncated header (10 of 64 bytes)" -- "$G" $sub "$T/short"
    bad "$sub foreign" "foreign magic" -- "$G" $sub "$T/elf"
    bad "$sub version" "version 2" -- "$G" $sub "$T/v2"
    bad "$sub record size" "record size 40" -- "$G" $sub "$T/r40"; }
done
[ -e "$T/bad.png" ] && fail "map wrote a file for bad input"
# a cut-off last record: read up to it, said so
head -c $(( $(stat -c %s "$T/pool.trace") - 7 )) "$T/pool.trace" >"$T/cut.trace"
expect 0 "info of a cut-off trace" -- "$G" info "$T/cut.trace"
grep -q 'cut-off last record (41 bytes)' "$T/out" || fail "cut-off not reported"
bad "unknown command" "unknown command 'frob'" -- "$G" frob
bad "unknown option" "'--frob'" -- "$G" info --frob "$T/sort.trace"
bad "unknown algorithm" "unknown algorithm 'worst'" -- "$G" replay --algo worst "$T/sort.trace"
bad "bad alignment" "unknown algorithm 'align:3'" -- "$G" replay --algo align:3 "$T/sort.trace"
bad "bad threads" "--threads wants" -- "$G" replay --threads 0 "$T/sort.trace"
bad "map extension" "must end in .png or .svg" -- "$G" map -o "$T/m.jpg" "$T/sort.trace"
bad "map --at past the end" "past the last event" -- "$G" map --at 999999999 -o "$T/late.png" "$T/sort.trace"
bad "map color" "--color is size or age" -- "$G" map --color blue -o "$T/c.png" "$T/sort.trace"
[ -e "$T/m.jpg" ] || [ -e "$T/late.png" ] || [ -e "$T/c.png" ] && fail "map wrote a file for bad input"
bad "record no program" "cannot run 'no-such-program-xyz'" -- "$G" record -o "$T/x.trace" -- no-such-program-xyz
[ -e "$T/x.trace" ] && fail "record wrote a trace for a missing program"
ls "$T"/x.trace* >/dev/null 2>&1 && fail "record left partial files"
bad "record without -o" "-o LOG is required" -- "$G" record -- true

# --- --help everywhere ---
for sub in "" info replay map record; do
  # shellcheck disable=SC2086
  expect 0 "help $sub" -- "$G" $sub --help && grep -q '^Usage: genpool' "$T/out" || fail "help $sub"
done

echo "$fails failed"
[ "$fails" -eq 0 ]
