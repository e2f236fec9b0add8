#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""check_man.py HEADER MANDIR: every public call of HEADER (a GENPOOL_API
declaration, found here with a regular expression independent of the
generator's parser) has MANDIR/<call>.3 with NAME, SYNOPSIS and DESCRIPTION
sections, a NAME line naming the call and its prototype; and all pages,
genpool.3 included, render with groff -man -ww (every warning on) without
a single warning."""
import glob
import re
import subprocess
import sys


def main(header, mandir):
    text = open(header, encoding="utf-8").read()
    calls = re.findall(r"^GENPOOL_API\b[^(;]*?(\w+)\s*\(", text, re.M)
    errors = []
    if len(calls) < 40:
        errors.append("only %d public calls found in %s" % (len(calls), header))
    for c in calls:
        try:
            page = open("%s/%s.3" % (mandir, c), encoding="utf-8").read()
        except OSError:
            errors.append("no man page for %s" % c)
            continue
        for s in ("NAME", "SYNOPSIS", "DESCRIPTION"):
            if not re.search(r"^\.SH %s$" % s, page, re.M):
                errors.append("%s.3: no %s section" % (c, s))
        if not re.search(r"^%s \\- \S" % c, page, re.M):
            errors.append("%s.3: the NAME line does not name %s" % (c, c))
        if "%s(" % c not in page:
            errors.append("%s.3: no prototype" % c)
    pages = sorted(glob.glob("%s/*.3" % mandir))
    run = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8"] + pages,
                         capture_output=True, text=True)
    if run.returncode or run.stderr:
        errors.append("groff: %s" % (run.stderr.strip() or "exit %d" % run.returncode))
    for e in errors:
        print(e)
    if not errors:
        print("%d calls, %d pages, all render without a warning" % (len(calls), len(pages)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
