#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""readme_block.py --check|--update README NAME PROGRAM [ARGS...]

The README shows programs' real output between
<!-- BEGIN generated:NAME --> and <!-- END generated:NAME -->. --update runs
PROGRAM and writes its standard output there (as a code block); --check
runs it and fails if the README's block differs, so the README can never
show output the program does not produce."""
import subprocess
import sys


def block(name, text):
    return ("<!-- BEGIN generated:%s -->\n```\n%s```\n<!-- END generated:%s -->"
            % (name, text, name))


def main(argv):
    mode, readme, name, cmd = argv[1], argv[2], argv[3], argv[4:]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    text = open(readme, encoding="utf-8").read()
    begin, end = "<!-- BEGIN generated:%s -->" % name, "<!-- END generated:%s -->" % name
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        print("%s: no block %s" % (readme, name))
        return 1
    new = text[:i] + block(name, out) + text[j + len(end):]
    if mode == "--update":
        open(readme, "w", encoding="utf-8").write(new)
        return 0
    if new != text:
        print("%s: block %s differs from what %s prints now; run\n  %s --update %s %s %s"
              % (readme, name, cmd[0], argv[0], readme, name, " ".join(cmd)))
        return 1
    print("%s: block %s matches %s's output" % (readme, name, cmd[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
