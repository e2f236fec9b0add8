#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# install_test.sh BUILD_DIR SOURCE_DIR: what a user gets from `meson install`.
# Installs BUILD_DIR into a scratch DESTDIR, then, using only what was
# installed: builds examples/stats_dump.c against the installed header and
# library through pkg-config and runs it (with an event log); finds the
# man pages with man(1) (MANPATH at the installed prefix), gen_pool_alloc(3)
# and genpool(3) among them; and runs the `genpool` tool's --help if the
# build installs one. Exit 0 when all of it works.
set -euo pipefail
unset LD_LIBRARY_PATH # meson test points it at the build tree; only the install counts
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
tmp=$(mktemp -d /tmp/genpool-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null ||
  fail "meson install failed"
pc=$(find "$tmp/root" -name genpool.pc | head -n 1)
[ -n "$pc" ] || fail "no genpool.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
# the .pc names the real prefix; the sysroot makes --cflags/--libs point into DESTDIR
prefix=$(pkg-config --variable=prefix genpool)
libdir=$tmp/root$(pkg-config --variable=libdir genpool)
export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
[ -f "$tmp/root$prefix/include/genpool.h" ] || fail "no header under $prefix/include"

# an example built as a user would, against the installed copy only
${CC:-cc} -std=c11 -Wall -Werror -o "$tmp/stats_dump" "$src/examples/stats_dump.c" \
  $(pkg-config --cflags --libs genpool) || fail "the example does not build"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/stats_dump" "$tmp/events.gplog") || fail "the example failed"
grep -q '^{"type":"pool","name":"rx",' <<<"$out" || fail "no pool line in: $out"
[ "$(head -c 8 "$tmp/events.gplog" | tr -d '\0')" = GPTRACE ] || fail "the event log has no header"
# (outputs captured first: grep -q may close the pipe early, and pipefail
# would take the writer's SIGPIPE for a failure)
linked=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/stats_dump")
grep -q "$libdir/libgenpool.so" <<<"$linked" || fail "not linked to the installed library"

# man pages, found the way `man gen_pool_alloc` finds them after an install
export MANPATH=$tmp/root$prefix/share/man MANPAGER=cat MANWIDTH=80
for page in gen_pool_alloc gen_pool_get_stats gen_pool_log_start; do
  case $(man -w "$page" 2>/dev/null) in
    "$MANPATH"/man3/"$page".3*) ;;
    *) fail "man -w $page does not find the installed page" ;;
  esac
done
page=$(man 3 gen_pool_get_stats 2>/dev/null)
grep -q 'high_water' <<<"$page" || fail "gen_pool_get_stats(3) does not render"
page=$(man 3 genpool 2>/dev/null)
grep -q 'GENPOOL_LOG' <<<"$page" || fail "genpool(3) does not render"

# the command-line tool, when this build installs it (not a dependency)
if [ -x "$tmp/root$prefix/bin/genpool" ]; then
  LD_LIBRARY_PATH=$libdir "$tmp/root$prefix/bin/genpool" --help >/dev/null ||
    fail "genpool --help failed"
  echo "install_test: genpool --help ran"
fi
echo "install_test: installed into $tmp/root$prefix: example built and run, man pages found"
