#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/traces/record.sh [BUILD_DIR [NAME...]]: re-record (all, or the NAMEs) the replay benchmark's
# traces from real Debian programs with `genpool record`, compress them
# (xz) into bench/traces/*.trace.xz, and regenerate bench/traces/README.md
# (make_readme.py). BUILD_DIR (default build-test) must hold tools/genpool
# and tools/gptrace_preload.so. The programs and their inputs:
#   cc1      gcc's compiler proper, -O2, on src/pool.c of this tree
#   python3  Debian's /usr/bin/python3 running workload.py (below)
#   sqlite3  a fresh database file and script.sql (generated: inserts,
#            an index, joins, grouping, updates, deletes)
#   grep     grep -rn over /usr/include (a real source tree)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build-test}" && pwd)
[ $# -gt 0 ] && shift
only=" $* "
G=$build/tools/genpool
export GENPOOL_PRELOAD=$build/tools/gptrace_preload.so
[ -x "$G" ] && [ -r "$GENPOOL_PRELOAD" ] || { echo "record.sh: build $build first" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# rec NAME PROCESS PROGRAM ARGS...: record, keep the trace of the process
# whose name (the header's) is PROCESS: the program itself or one it ran
rec() {
  local name=$1 proc=$2 f; shift 2
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
  echo "recording $name: $*" >&2
  "$G" record -o "$tmp/$name.trace" -- "$@" >/dev/null
  for f in "$tmp/$name.trace" "$tmp/$name.trace".*; do
    if [ "$(dd if="$f" bs=1 skip=40 count=24 2>/dev/null | tr -d '\0')" = "$proc" ]; then
      xz -9 -T1 -c "$f" >"$here/$name.trace.xz"
      return
    fi
  done
  echo "record.sh: no trace of $proc" >&2; exit 1
}

rec cc1 cc1 gcc -O2 -D_GNU_SOURCE -I"$root/include" -I"$root/src" -c "$root/src/pool.c" \
  -o "$tmp/pool.o"

rec python3 python3 /usr/bin/python3 "$here/workload.py" "$root/src"

python3 - "$tmp/script.sql" <<'PY'
import random, sys
r = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write("PRAGMA journal_mode=MEMORY;\nCREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT);\n")
    f.write("CREATE TABLE post(id INTEGER PRIMARY KEY, author INTEGER, title TEXT, body TEXT, score REAL);\n")
    f.write("BEGIN;\n")
    for i in range(500):
        f.write(f"INSERT INTO author VALUES({i}, 'author {i} {'x' * r.randint(1, 40)}');\n")
    for i in range(4000):
        body = " ".join(r.choice(["pool", "chunk", "granule", "free", "alloc", "bitmap"])
                        for _ in range(r.randint(1, 60)))
        f.write(f"INSERT INTO post VALUES({i}, {r.randint(0, 499)}, 'title {i}', '{body}', {r.random()});\n")
    f.write("COMMIT;\nCREATE INDEX post_author ON post(author);\n")
    for i in range(60):
        f.write(f"SELECT a.name, count(*), avg(p.score) FROM post p JOIN author a ON a.id = p.author "
                f"WHERE p.score > {r.random():.3f} GROUP BY a.id ORDER BY 2 DESC LIMIT 5;\n")
        f.write(f"UPDATE post SET score = score * 0.9 WHERE author = {r.randint(0, 499)};\n")
        f.write(f"DELETE FROM post WHERE id % 997 = {i};\n")
    f.write("SELECT count(*), sum(length(body)) FROM post;\n")
PY
rec sqlite3 sqlite3 sh -c "exec sqlite3 '$tmp/db.sqlite' < '$tmp/script.sql'"

rec grep grep grep -rn --include='*.h' -e 'struct [a-z_]*_ops' -e 'static inline' /usr/include

python3 "$here/make_readme.py" "$G" "$here"
