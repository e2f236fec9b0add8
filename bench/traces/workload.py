# SPDX-License-Identifier: LGPL-2.1-or-later
"""The interpreter trace's workload (bench/traces/record.sh): read a source
tree, tokenise every file, build word statistics in dicts and sets, diff
each file against a shuffled copy of itself, and round-trip the result
through JSON. Ordinary Python work that allocates many small objects of
many sizes, plus some big strings."""
import collections
import difflib
import json
import os
import random
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
rng = random.Random(3)
words = collections.Counter()
files = {}
for dirpath, _, names in os.walk(root):
    for n in sorted(names):
        if n.endswith((".c", ".h")):
            with open(os.path.join(dirpath, n), encoding="utf-8", errors="replace") as f:
                files[n] = f.read().splitlines()
for name, lines in sorted(files.items()):
    for line in lines:
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line))
    shuffled = lines[:]
    rng.shuffle(shuffled)
    diff = list(difflib.unified_diff(lines[:400], shuffled[:400], lineterm=""))
    files[name] = {"lines": len(lines), "diff": len(diff), "top": words.most_common(3)}
blob = json.dumps({"files": files, "words": words.most_common(2000)})
back = json.loads(blob)
print(len(blob), len(back["files"]), sum(words.values()))
