#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""paper.py - regenerate every table, figure and measured statement of the
paper (papers/genpool.md) and the README's Performance block from one
results file written by bench/results.py (schema genpool-bench/1).

usage: paper.py [--check] [--before OLD.json] [RESULTS.json]

  RESULTS.json  default: the newest results/*.json or papers/data/*.json
                whose schema is genpool-bench/1 (newest by its "date" field)
  --check       change nothing; exit 1 if anything would change
  --before      the run of the previous engine for the engine section's
                before/after table and figure (default: ENGINE_BEFORE below)

Text between `<!-- BEGIN generated:NAME -->` and `<!-- END generated:NAME -->`
is replaced by what generator NAME (the BLOCKS table below) writes; nothing
outside the markers is touched. Figures go to papers/figures/ (PNG files
there that this script does not write are removed). Files are rewritten
only when their content changes, so a second run changes nothing.

Everything comes from the results file, so a fresh clone regenerates the
committed paper byte for byte from papers/data/.

Tables and plots reuse bench/results.py (formatting, the README tables) and
bench/report.py (the figures) instead of copying them.
"""
import argparse
import glob
import json
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in bench/ from these imports
sys.path.insert(0, os.path.join(ROOT, "bench"))

import results as R  # noqa: E402  (fmt_rate, fmt_ratio, params_key, markdown, SCHEMA)

sys.path.insert(0, os.path.join(ROOT, "papers"))
import paper_freerun as FR  # noqa: E402  (issue 10's section)

try:
    import report as P  # noqa: E402  (matplotlib figures)
    import matplotlib.pyplot as plt  # noqa: E402
except ImportError as e:  # pragma: no cover
    sys.exit(f"paper.py: {e}; run it with /usr/bin/python3 (Debian's python3-matplotlib)")

PAPER = os.path.join(ROOT, "papers", "genpool.md")
README = os.path.join(ROOT, "README.md")
FIGDIR = os.path.join(ROOT, "papers", "figures")
MARK = re.compile(r"(<!-- BEGIN generated:([\w.-]+) -->\n)(.*?)(<!-- END generated:\2 -->)", re.S)

LF, SPIN, MUTEX = "genpool_lf", "genpool_spin", "genpool_mutex"
MALLOCS = ["glibc", "jemalloc", "tcmalloc", "mimalloc"]
CACHING = ["jemalloc", "tcmalloc", "mimalloc"]  # per-thread caches: nothing shared on a hot pair
PEERS = [LF, SPIN, MUTEX, "memkind"] + MALLOCS
# The scalable engine (issue 5): its variants and the kernel-style reference.
SC, TC, KFIT = "genpool_sc", "genpool_tc", "genpool_kfit"
# The previous engine (commit a6bcf5f, built and run by the same scripts/bench
# with LTO) run on this machine just before the committed run of the new one:
# "before" in the engine section.
ENGINE_BEFORE = os.path.join(ROOT, "papers", "data", "previous-engine-20261202-061737-vm.json")


# ---------------------------------------------------------------------------
# Access to the results file


class Res:
    def __init__(self, res):
        self.res = res
        self.ok = [r for r in res["results"] if "error" not in r and r.get("median")]

    def rows(self, workload, alloc=None, threads=None, **params):
        out = []
        for r in self.ok:
            if r["workload"] != workload or (alloc and r["alloc"] != alloc):
                continue
            if threads is not None and r["threads"] != threads:
                continue
            if any(r["params"].get(k) != v for k, v in params.items()):
                continue
            out.append(r)
        return sorted(out, key=lambda r: (P.rank(r["alloc"]), r["threads"],
                                          R.params_key(r["params"])))

    def one(self, workload, alloc, threads, **params):
        rs = self.rows(workload, alloc, threads, **params)
        return rs[0] if len(rs) == 1 else None

    def med(self, workload, alloc, threads, metric, **params):
        r = self.one(workload, alloc, threads, **params)
        return None if r is None else r["median"].get(metric)

    def threads(self, workload, **params):
        return sorted({r["threads"] for r in self.rows(workload, **params)})

    def allocs(self, workload, **params):
        return sorted({r["alloc"] for r in self.rows(workload, **params)}, key=P.rank)

    def values(self, workload, key):
        return sorted({r["params"][key] for r in self.rows(workload) if key in r["params"]})

    @property
    def ctx(self):
        invs = self.res.get("invocations") or [{}]
        return invs[0].get("context", {})


# ---------------------------------------------------------------------------
# Formatting


def ns(v):
    if v is None:
        return "-"
    return f"{v:,.1f}" if v < 10 else f"{v:,.0f}"


def us_or_ns(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:,.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:,.0f} µs"
    return f"{ns(v)} ns"


def rate(v):
    return R.fmt_rate(v)


def ratio(v):
    return R.fmt_ratio(v)


def times(v):
    """A factor in prose: 1.53 -> '1.53×'."""
    return "-" if v is None else (f"{v:,.0f}×" if v >= 100 else f"{v:.2f}×")


def pct(v):
    if v is None:
        return "-"
    if v == 0:
        return "0 %"
    return f"{v * 100:.1f} %" if v < 0.1 else f"{v * 100:.0f} %"


def mib(p):
    return f"{p} MiB" if p < 1024 else f"{p // 1024} GiB"


def gran_words(g):
    return f"{g} granule{'s' if g != 1 else ''} ({g * P.GRANULE // 1024} KiB)"


def gran_adj(g):
    """'a 16-granule (64 KiB) request'."""
    return f"{g}-granule ({g * P.GRANULE // 1024} KiB)"


def cap(s):
    return s[:1].upper() + s[1:]


def table(head, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def div(a, b):
    return a / b if a is not None and b else None


def listing(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------------------
# Machine and method


def load_range(d):
    """1-minute load averages seen during the run (start of each set, and when
    the tables were written)."""
    seen = [inv.get("context", {}).get("load_avg", [None])[0]
            for inv in d.res.get("invocations", [])]
    seen.append((d.res.get("machine", {}).get("load_avg") or [None])[0])
    seen = [v for v in seen if v is not None]
    return (min(seen), max(seen)) if seen else (None, None)


def gen_machine(d):
    res, m, g, c = d.res, d.res.get("machine", {}), d.res.get("git", {}), d.ctx
    caches = ", ".join(f"L{x['level']} {x['type'].lower()} {x['size'] // 1024} KiB"
                       + (f" (shared by {x['num_sharing']})" if x.get("num_sharing", 1) > 1 else "")
                       for x in c.get("caches", []))
    lo, hi = load_range(d)
    la = m.get("load_avg") or []
    pk = m.get("packages", {})
    rows = [
        ("date of the run (UTC)", res.get("date", "?")),
        ("CPU", f"{m.get('cpu_model', '?')}, {c.get('mhz_per_cpu', '?')} MHz"
                + (" (KVM/hypervisor guest)" if m.get("hypervisor") else "")),
        ("CPUs", m.get("cpus", "?")),
        ("caches", caches or "-"),
        ("memory", f"{m['mem_total_kib'] / 1024 / 1024:.1f} GiB" if m.get("mem_total_kib") else "-"),
        ("kernel", m.get("kernel", "?")),
        ("OS", m.get("os", "?")),
        ("compiler", m.get("compiler", "?")),
        ("C library", m.get("glibc", "?")),
        ("packages", ", ".join(f"{k} {v}" for k, v in sorted(pk.items())) or "-"),
        ("Google Benchmark library build", c.get("library_build_type", "?")),
        ("latency clock", c.get("latency_clock", "?")),
        ("benchmark sets", ", ".join(str(i.get("set")) for i in res.get("invocations", []))
         + f" (mode {res.get('mode', '?')}, command `{res.get('command', '?')}`)"),
        ("repetitions per benchmark", res.get("repetitions", "?")),
        ("benchmarks", f"{len(d.ok)} measured, {len(res['results']) - len(d.ok)} failed"),
        ("git commit", f"{g.get('commit', '?')} ({g.get('describe', '?')}"
                       + (", uncommitted changes in the tree" if g.get("dirty") else "") + ")"),
        ("load average (1, 5, 15 min) when the tables were written",
         ", ".join(f"{v:.2f}" for v in la) or "-"),
        ("1-minute load average during the run", f"{lo:.2f} to {hi:.2f}" if lo is not None else "-"),
    ]
    return table(["", "this run"], rows, ["---", "---"])


def gen_ops(d):
    c = d.ctx
    rows = []
    for w in P.TITLES:
        if not d.rows(w):
            continue
        rows.append((f"`{w}`", c.get(f"workload.{w}.op", "?"), c.get(f"workload.{w}.latency", "?")))
    return table(["workload", "one op", "one latency sample"], rows, ["---", "---", "---"])


def gen_coverage(d):
    rows = []
    for w in P.TITLES:
        rs = d.rows(w)
        if not rs:
            continue
        keys = sorted({k for r in rs for k in r["params"]})
        params = "; ".join(f"{k} " + ", ".join(str(v) for v in d.values(w, k)) for k in keys)
        rows.append((f"`{w}`", params, ", ".join(str(t) for t in d.threads(w)),
                     ", ".join(d.allocs(w)), len(rs)))
    return table(["workload", "parameters", "threads", "allocators", "benchmarks"], rows,
                 ["---", "---", "---:", "---", "---:"])


# ---------------------------------------------------------------------------
# Tables


def gen_headline(d):
    rows = []
    for g in d.values("hot_pair", "gran"):
        for t in d.threads("hot_pair", gran=g):
            lf = d.med("hot_pair", LF, t, "ops_per_s", gran=g)
            sp = d.med("hot_pair", SPIN, t, "ops_per_s", gran=g)
            mu = d.med("hot_pair", MUTEX, t, "ops_per_s", gran=g)
            cv = (d.one("hot_pair", LF, t, gran=g) or {}).get("cv", {}).get("ops_per_s")
            rows.append((g, t, rate(lf), rate(sp), rate(mu), ratio(div(lf, sp)),
                         ratio(div(lf, mu)), pct(cv)))
    return table(["granules", "threads", "lock-free ops/s", "spinlock ops/s", "mutex ops/s",
                  "lock-free / spinlock", "lock-free / mutex", "lock-free CV"], rows)


def gen_peers(d):
    grans = d.values("hot_pair", "gran")
    cols = [(g, t) for g in grans for t in d.threads("hot_pair", gran=g)]
    head = ["allocator"] + [f"{g} gr, {t} thr" for g, t in cols]
    rows = []
    for a in d.allocs("hot_pair"):
        cells = []
        for g, t in cols:
            lf = d.med("hot_pair", LF, t, "ops_per_s", gran=g)
            v = d.med("hot_pair", a, t, "ops_per_s", gran=g)
            fail = d.med("hot_pair", a, t, "fail_rate", gran=g) or 0
            cell = rate(v) + ("" if a == LF else f" ({ratio(div(lf, v))})")
            cells.append(cell + (f" fail {pct(fail)}" if fail > 0.005 else ""))
        rows.append([a] + cells)
    return table(head, rows)


def gen_fastpath(d):
    grans = d.values("hot_pair", "gran")
    t = min(d.threads("hot_pair") or [1])
    head = ["allocator"] + [f"ns per pair, {g} gr" for g in grans] + \
           [f"genpool_lf / it, {g} gr" for g in grans]
    rows = []
    for a in d.allocs("hot_pair", threads=t):
        vals = [d.med("hot_pair", a, t, "ns_per_op", gran=g) for g in grans]
        lfs = [d.med("hot_pair", LF, t, "ns_per_op", gran=g) for g in grans]
        rows.append([a] + [ns(v) for v in vals]
                    + ["-" if a == LF or div(l, v) is None else f"{div(l, v):.2f}"
                       for l, v in zip(lfs, vals)])
    return table(head, rows)


def gen_workloads(d):
    rows = []
    ws = ("bulk", "xfree", "random", "align")
    entries = [e for e in d.res.get("ratios", []) if e["workload"] in ws]
    cols = [a for a in PEERS[1:] + ["genpool_lf_bf", "genpool_spin_bf"]
            if any(a in e["versus"] for e in entries)]
    for e in entries:
        rows.append([e["workload"], R.params_key(e["params"]), e["threads"], rate(e[LF])]
                    + [ratio(e["versus"].get(a, {}).get("ratio")) for a in cols])
    return table(["workload", "params", "threads", "genpool_lf ops/s"] + [f"vs {a}" for a in cols],
                 rows, ["---", "---"] + ["---:"] * (2 + len(cols)))


def gen_bulk(d):
    rows = []
    for a in d.allocs("bulk"):
        for t in d.threads("bulk", alloc=a):
            r = d.one("bulk", a, t, fill=50) or d.rows("bulk", a, t)[0]
            m = r["median"]
            rows.append((a, t, ns(m.get("ns_per_alloc")), ns(m.get("ns_per_free")),
                         ns(m.get("lat_p99_ns")), ns(m.get("free_p99_ns"))))
    return table(["allocator", "threads", "ns per alloc", "ns per free", "alloc p99 ns",
                  "free p99 ns"], rows)


def search_entries(d, threads=1):
    return [e for e in d.res.get("search_scaling", []) if e["threads"] == threads]


def gen_search(d):
    es = search_entries(d)
    pools = sorted({p for e in es for p in e["pool_mib"]})
    rows = []
    for e in es:
        cells = []
        for p in pools:
            v, f = e["ns_per_op"].get(str(p)), e["fail_rate"].get(str(p), 0)
            cells.append(us_or_ns(v) + (f" (fail {pct(f)})" if v is not None and f > 0.005 else ""))
        rows.append([e["alloc"], f"{e['fill']} %", e["gran"]] + cells
                    + [ratio(e.get("cost_ratio_largest_over_smallest"))])
    return table(["allocator", "fill", "granules"] + [mib(p) for p in pools]
                 + ["largest / smallest"], rows)


def gen_latency(d):
    rows = []
    for g in d.values("hot_pair", "gran"):
        ts = d.threads("hot_pair", gran=g)
        for t in sorted({ts[0], ts[-1]}):
            for a in d.allocs("hot_pair", gran=g, threads=t):
                m = d.one("hot_pair", a, t, gran=g)["median"]
                rows.append((g, t, a, ns(m.get("ns_per_op")), ns(m.get("lat_p50_ns")),
                             ns(m.get("lat_p99_ns")), ns(m.get("lat_p999_ns"))))
    return table(["granules", "threads", "allocator", "wall ns per pair, per thread", "p50 ns",
                  "p99 ns", "p99.9 ns"], rows)


def gen_frag(d):
    rows = []
    for e in d.res.get("frag", []):
        rows.append((e["alloc"], f"{e['occ']} %", e["threads"], pct(e.get("fail_rate")),
                     f"{e['largest_free_frac']:.3f}" if e.get("largest_free_frac") is not None else "-",
                     f"{e['occupancy_end']:.3f}" if e.get("occupancy_end") is not None else "-",
                     ns(e.get("q1_p99_ns")), ns(e.get("q4_p99_ns")),
                     f"{e['drift_p99']:.2f}" if e.get("drift_p99") is not None else "-",
                     rate(e.get("ops_per_s"))))
    return table(["allocator", "target", "threads", "failures", "largest free / free",
                  "occupancy reached", "p99 alloc ns, 1st quarter", "p99, 4th quarter",
                  "drift (q4/q1)", "steps/s"], rows)


# ---------------------------------------------------------------------------
# Statements: every number in the prose comes from here


def gen_abstract(d):
    out = []
    ts = d.threads("hot_pair")
    if ts:
        tmax = ts[-1]
        sp = [div(d.med("hot_pair", LF, tmax, "ops_per_s", gran=g),
                  d.med("hot_pair", SPIN, tmax, "ops_per_s", gran=g))
              for g in d.values("hot_pair", "gran")]
        sp = [v for v in sp if v]
        mk = [div(d.med("hot_pair", LF, t, "ops_per_s", gran=g),
                  d.med("hot_pair", "memkind", t, "ops_per_s", gran=g))
              for g in d.values("hot_pair", "gran") for t in ts]
        mk = [v for v in mk if v]
        fast = [div(d.med("hot_pair", a, ts[0], "ns_per_op", gran=g),
                    d.med("hot_pair", LF, ts[0], "ns_per_op", gran=g))
                for a in CACHING for g in d.values("hot_pair", "gran")]
        fast = [1 / v for v in fast if v]
        m = d.res.get("machine", {})
        s = (f"With {tmax} threads on a {m.get('cpus', '?')}-CPU "
             f"{'virtual machine' if m.get('hypervisor') else 'machine'}, the lock-free pool's "
             f"hot-pair (alloc+free) throughput was {times(min(sp))} to {times(max(sp))} that of "
             f"the same pool under a spinlock")
        if mk:
            s += (f"; at every thread count measured it was {times(min(mk))} to {times(max(mk))} "
                  f"that of memkind's fixed kind")
        s += "."
        if fast:
            s += (f" Single-threaded, the thread-caching mallocs (which cannot manage special "
                  f"memory) are {times(min(fast))} to {times(max(fast))} faster on the same pair.")
        out.append(s)
    big = [e for e in search_entries(d) if e["alloc"] == LF and e.get("cost_ratio_largest_over_smallest")
           and all(v >= 0.99 for v in e["fail_rate"].values())]
    if big:
        e = max(big, key=lambda e: e["cost_ratio_largest_over_smallest"])
        out.append(f"A request that cannot be met scans the whole bitmap: its cost grows "
                   f"{times(e['cost_ratio_largest_over_smallest'])} from a {mib(e['smallest_mib'])} "
                   f"to a {mib(e['largest_mib'])} pool "
                   f"({times(e['largest_mib'] / e['smallest_mib'])} the size).")
    return " ".join(out)


def gen_disc_search(d):
    es = [e for e in search_entries(d) if e["alloc"] == LF]
    out = []
    ones = [e for e in es if e["gran"] == min(x["gran"] for x in es)] if es else []
    if ones:
        vals = [v for e in ones for v in e["ns_per_op"].values()]
    if ones and max(vals) < 2 * min(vals):
        out.append(f"A {gran_adj(ones[0]['gran'])} request costs between {ns(min(vals))} and "
                   f"{ns(max(vals))} ns per alloc+free attempt at every pool size and fill "
                   f"measured ({mib(min(ones[0]['pool_mib']))} to {mib(max(ones[0]['pool_mib']))}): "
                   f"with granules held at random, first fit finds a free granule within the "
                   f"first words of the bitmap, whatever lies beyond.")
    for e in es:
        fails = [e["fail_rate"][str(p)] for p in e["pool_mib"]]
        if ones and e["gran"] == ones[0]["gran"]:
            continue
        lo, hi = e["smallest_mib"], e["largest_mib"]
        c_lo, c_hi = e["ns_per_op"][str(lo)], e["ns_per_op"][str(hi)]
        gr_lo, gr_hi = lo * 1024 * 1024 // P.GRANULE, hi * 1024 * 1024 // P.GRANULE
        if all(f >= 0.99 for f in fails):
            out.append(
                f"At {e['fill']} % fill a {gran_adj(e['gran'])} request never fits, and every "
                f"attempt is a full scan: {us_or_ns(c_lo)} at {mib(lo)} and {us_or_ns(c_hi)} at "
                f"{mib(hi)}, {times(c_hi / c_lo)} for a pool {times(hi / lo)} the size; that is "
                f"{c_lo / gr_lo:.2f} and {c_hi / gr_hi:.2f} ns per granule of the pool, or "
                f"{c_lo / (gr_lo * (1 - e['fill'] / 100)):.1f} and "
                f"{c_hi / (gr_hi * (1 - e['fill'] / 100)):.1f} ns per free granule passed: the "
                f"cost of a failed search is linear in the pool size.")
            continue
        rest = [e["ns_per_op"][str(p)] for p in e["pool_mib"][1:]]
        if rest and fails[0] >= 0.99 and all(f < 0.01 for f in fails[1:]) \
                and max(rest) < 1.5 * min(rest):
            out.append(
                f"At {e['fill']} % fill a {gran_adj(e['gran'])} request fails in the "
                f"{mib(lo)} pool (a full scan, {us_or_ns(c_lo)}) and succeeds in the larger ones "
                f"at {us_or_ns(min(rest))} to {us_or_ns(max(rest))}, almost independent of their "
                f"size: the first fitting run lies at about the same distance from bit 0 in each, "
                f"so the {times(e.get('cost_ratio_largest_over_smallest'))} of the summary table "
                f"compares a failed search with a successful one, not two pool sizes.")
        else:
            out.append(f"At {e['fill']} % fill, {gran_words(e['gran'])}: {us_or_ns(c_lo)} at "
                       f"{mib(lo)}, {us_or_ns(c_hi)} at {mib(hi)} "
                       f"({times(e.get('cost_ratio_largest_over_smallest'))}).")
    sp = {(e["fill"], e["gran"]): e for e in search_entries(d) if e["alloc"] == SPIN}
    diffs = []
    for e in es:
        s = sp.get((e["fill"], e["gran"]))
        if s:
            for p in e["pool_mib"]:
                if str(p) in s["ns_per_op"]:
                    diffs.append(e["ns_per_op"][str(p)] / s["ns_per_op"][str(p)])
    if diffs:
        out.append(f"The spinlock pool runs the same search: single-threaded, the lock-free "
                   f"pool's cost is {min(diffs):.2f} to {max(diffs):.2f} times the spinlock "
                   f"pool's across these configurations.")
    mk = [e for e in search_entries(d) if e["alloc"] == "memkind"]
    if mk:
        vals = [v for e in mk for v in e["ns_per_op"].values()]
        refused = sorted({(e["fill"], e["gran"], p) for e in mk for p in e["pool_mib"]
                          if e["fail_rate"][str(p)] >= 0.99})
        met = {(e["fill"], e["gran"], p) for e in es for p in e["pool_mib"]
               if e["fail_rate"][str(p)] < 0.01}
        both = [x for x in refused if x in met]
        s = (f"memkind (measured up to {mib(max(p for e in mk for p in e['pool_mib']))}) answers "
             f"every attempt in {ns(min(vals))} to {ns(max(vals))} ns, success or failure, at "
             f"every pool size it was measured at")
        if both:
            s += ("; it also refuses requests that genpool satisfies in the same configuration ("
                  + "; ".join(f"{g} granules at {f} % fill, {mib(p)}" for f, g, p in both) + ")")
        out.append(s + ".")
    return "\n\n".join(out)


def speedup(d, a, g, t0, t1):
    return div(d.med("hot_pair", a, t1, "ops_per_s", gran=g),
               d.med("hot_pair", a, t0, "ops_per_s", gran=g))


def gen_disc_contention(d):
    ts = d.threads("hot_pair")
    cpus = d.res.get("machine", {}).get("cpus", 2)
    if len(ts) < 2:
        return "Only one thread count was measured."
    t0 = ts[0]
    t1 = cpus if cpus in ts else ts[1]
    tmax = ts[-1]
    out = []
    for g in d.values("hot_pair", "gran"):
        lf = speedup(d, LF, g, t0, t1)
        cache = {a: speedup(d, a, g, t0, t1) for a in CACHING}
        cache = {a: v for a, v in cache.items() if v}
        s = (f"{cap(gran_words(g))}: going from {t0} to {t1} threads (one per CPU) "
             f"multiplied the lock-free pool's hot-pair throughput by {times(lf)}")
        if cache:
            s += (f"; the thread-caching mallocs, which share no cache line on this path, "
                  f"managed {listing(f'{times(v)} ({a})' for a, v in cache.items())}")
        out.append(s + ".")
    best = max((speedup(d, a, g, t0, t1) or 0) for a in CACHING for g in d.values("hot_pair", "gran"))
    if best and best < 1.5:
        out.append(f"No allocator came near the ideal {times(t1 / t0)}: the best was "
                   f"{times(best)}, so in this run the second CPU was largely taken by other load "
                   f"(see Threats to validity) and the run cannot show how far genpool is from "
                   f"linear scaling; it can show where contention costs relative to the other "
                   f"allocators under the same conditions.")
    for g in d.values("hot_pair", "gran"):
        lf = d.one("hot_pair", LF, tmax, gran=g)
        sp = d.one("hot_pair", SPIN, tmax, gran=g)
        lf1 = d.one("hot_pair", LF, t0, gran=g)
        if lf and sp and lf1:
            out.append(
                f"At {tmax} threads on {cpus} CPUs, {gran_words(g)}: the lock-free pool's p99 "
                f"latency per pair is {ns(lf['median'].get('lat_p99_ns'))} ns against "
                f"{ns(lf1['median'].get('lat_p99_ns'))} ns with one thread; the spinlock pool's "
                f"sampled p99 is {ns(sp['median'].get('lat_p99_ns'))} ns, yet its wall time per "
                f"pair and thread is {ns(sp['median'].get('ns_per_op'))} ns against the lock-free "
                f"pool's {ns(lf['median'].get('ns_per_op'))} ns.")
    return "\n\n".join(out)


def gen_disc_fastpath(d):
    ts = d.threads("hot_pair")
    if not ts:
        return ""
    t = ts[0]
    out = []
    for g in d.values("hot_pair", "gran"):
        lf = d.med("hot_pair", LF, t, "ns_per_op", gran=g)
        others = [(a, d.med("hot_pair", a, t, "ns_per_op", gran=g)) for a in d.allocs("hot_pair")
                  if a != LF]
        others = [(a, v) for a, v in others if v]
        faster = sorted([(a, v) for a, v in others if v < lf], key=lambda x: x[1])
        slower = sorted([(a, v) for a, v in others if v >= lf], key=lambda x: x[1])
        s = f"One thread, {gran_words(g)}: genpool's lock-free pool takes {ns(lf)} ns per alloc+free pair"
        if faster:
            s += ("; faster are " + listing(f"{a} ({ns(v)} ns, {times(lf / v)} faster)"
                                            for a, v in faster))
        if slower:
            s += ("; slower are " + listing(f"{a} ({ns(v)} ns)" for a, v in slower))
        out.append(s + ".")
    sp = [div(d.med("hot_pair", LF, t, "ns_per_op", gran=g),
              d.med("hot_pair", SPIN, t, "ns_per_op", gran=g)) for g in d.values("hot_pair", "gran")]
    sp = [v for v in sp if v]
    if sp:
        s = (f"Uncontended, the lock-free pool costs {min(sp):.2f} to {max(sp):.2f} times the "
             f"spinlock pool per pair")
        if 0.8 <= min(sp) and max(sp) <= 1.25:
            s += (": the compare-and-swap claim costs about what the lock and plain stores do, "
                  "so it is not what separates genpool from the mallocs")
        out.append(s + ".")
    return "\n\n".join(out)


def gen_disc_random(d):
    ts = d.threads("random")
    if not ts:
        return ""
    out = []
    t = ts[0]
    lf = d.one("random", LF, t)
    if lf:
        m = lf["median"]
        peers = [(a, d.med("random", a, t, "ops_per_s")) for a in d.allocs("random") if a != LF]
        peers = [(a, v) for a, v in peers if v]
        out.append(
            f"With random sizes over a live set, one thread, the lock-free pool completes "
            f"{rate(m.get('ops_per_s'))} free+alloc pairs per second ({ns(m.get('ns_per_op'))} ns "
            f"each, p50 {ns(m.get('lat_p50_ns'))} ns), against "
            + listing(f"{rate(v)} for {a} (genpool {ratio(m['ops_per_s'] / v)})" for a, v in peers)
            + ".")
    slow, within = [], []
    for e in d.res.get("ratios", []):
        r = e["versus"].get(SPIN, {}).get("ratio")
        if r is None or r >= 0.95 or e["workload"] == "search":
            continue
        cvs = [(d.one(e["workload"], a, e["threads"], **e["params"]) or {}).get("cv", {})
               .get("ops_per_s", 0) for a in (LF, SPIN)]
        slow.append(f"{e['workload']} {R.params_key(e['params'])} at {e['threads']} "
                    f"thread{'s' if e['threads'] != 1 else ''} ({ratio(r)}; CV "
                    f"{pct(cvs[0])} and {pct(cvs[1])})")
        within.append(1 - r <= max(cvs))
    if slow:
        s = "The lock-free pool is slower than the spinlock pool in " + listing(slow) + "."
        if all(within):
            s += (" In each case the gap is no larger than the coefficient of variation of one of "
                  "the two, so none of them is established by this run.")
        elif any(within):
            s += (f" In {sum(within)} of these {len(within)} cases the gap is no larger than the "
                  f"coefficient of variation of one of the two.")
        out.append(s)
    else:
        out.append("The lock-free pool is not slower than the spinlock pool in any configuration "
                   "measured (by more than 5 %).")
    return "\n\n".join(out)


def gen_disc_frag(d):
    fr = d.res.get("frag", [])
    if not fr:
        return ""
    out = []
    for occ in sorted({e["occ"] for e in fr}):
        es = sorted((e for e in fr if e["occ"] == occ), key=lambda e: P.rank(e["alloc"]))
        t = sorted({e["threads"] for e in es})
        s = (f"At {occ} % occupancy ({listing(str(x) for x in t)} thread"
             f"{'s' if t != [1] else ''}), the largest free run at the end held "
             + listing(f"{e['largest_free_frac']:.3f} of the free space for {e['alloc']}"
                       for e in es if e.get("largest_free_frac") is not None) + ". ")
        refused = [e for e in es if (e.get("fail_rate") or 0) > 0]
        if refused:
            s += ("Allocations refused while the quota had room: "
                  + listing(f"{pct(e['fail_rate'])} for {e['alloc']}" for e in refused)
                  + (", none for " + listing(e["alloc"] for e in es if e not in refused)
                     if len(refused) < len(es) else "") + ". ")
        else:
            s += "No allocator refused an allocation while its quota had room. "
        s += ("The p99 allocation latency went from the first to the last quarter of the run "
              + listing(f"from {ns(e.get('q1_p99_ns'))} to {ns(e.get('q4_p99_ns'))} ns for "
                        f"{e['alloc']}" for e in es) + ".")
        out.append(s)
    return "\n\n".join(out)


def gen_conclusion(d):
    out = []
    ts = d.threads("hot_pair")
    cpus = d.res.get("machine", {}).get("cpus", "?")
    grans = d.values("hot_pair", "gran")
    if ts:
        tmax = ts[-1]
        parts = []
        for other, what in ((SPIN, "the same code under a spinlock"),
                            (MUTEX, "the same pool behind a mutex")):
            rs = [div(d.med("hot_pair", LF, tmax, "ops_per_s", gran=g),
                      d.med("hot_pair", other, tmax, "ops_per_s", gran=g)) for g in grans]
            rs = [r for r in rs if r]
            if rs:
                parts.append(f"{times(min(rs))} to {times(max(rs))} that of {what}"
                             + ("" if min(rs) > 1.05 else " (not consistently higher)"))
        if parts:
            out.append(f"With {tmax} threads on {cpus} CPUs, the lock-free pool's hot-pair "
                       f"throughput was " + listing(parts) + ".")
    mk = [e["versus"]["memkind"]["ratio"] for e in d.res.get("ratios", [])
          if "memkind" in e["versus"] and e["workload"] != "search"]
    if mk:
        faster = sum(r > 1 for r in mk)
        out.append(f"Against memkind's fixed kind, the installable allocator for the same job, "
                   f"genpool had the higher throughput in {faster} of {len(mk)} configurations "
                   f"measured in both ({times(min(mk))} to {times(max(mk))}).")
    if ts:
        f = [div(d.med("hot_pair", LF, ts[0], "ns_per_op", gran=g),
                 d.med("hot_pair", a, ts[0], "ns_per_op", gran=g)) for a in CACHING for g in grans]
        f = [v for v in f if v]
        if f:
            word = "slower" if min(f) > 1 else "not uniformly slower"
            out.append(f"On one thread it was {word} than the thread-caching mallocs "
                       f"({times(min(f))} to {times(max(f))} their time per pair).")
    big = [e for e in search_entries(d) if e["alloc"] == LF
           and e.get("cost_ratio_largest_over_smallest")
           and all(v >= 0.99 for v in e["fail_rate"].values())]
    if big:
        e = max(big, key=lambda e: e["cost_ratio_largest_over_smallest"])
        out.append(f"A search that fails cost {times(e['cost_ratio_largest_over_smallest'])} more "
                   f"in a pool {times(e['largest_mib'] / e['smallest_mib'])} larger.")
    return " ".join(out)


def gen_threats_machine(d):
    m = d.res.get("machine", {})
    cpus = m.get("cpus", "?")
    above = [t for t in sorted({r["threads"] for r in d.ok}) if isinstance(cpus, int) and t > cpus]
    s = (f"The machine has {cpus} CPUs ({m.get('cpu_model', '?')}"
         + (", a virtual machine" if m.get("hypervisor") else "") + ")")
    if above:
        s += (f": the runs at {listing(str(t) for t in above)} threads measure oversubscription, "
              f"not parallelism")
    return s + "."


def load_before(d):
    """The 1-minute load average when the first set started, before any
    benchmark thread ran: the only sample that measures other load alone."""
    first = None
    for inv in d.res.get("invocations", []):
        c = inv.get("context", {})
        if c.get("load_avg") and (first is None or c.get("date", "") < first[0]):
            first = (c.get("date", ""), c["load_avg"][0])
    return first[1] if first else None


def gen_threats_load(d):
    lo, hi = load_range(d)
    before = load_before(d)
    cpus = d.res.get("machine", {}).get("cpus") or 1
    out = []
    if before is not None and before > 0.5 * cpus:
        out.append(f"**The machine was not idle.** The 1-minute load average was {before:.2f} "
                   f"when the run started, on {cpus} CPUs: other processes competed for the "
                   f"CPUs the benchmark threads ran on. Every ratio is still taken between "
                   f"allocators measured in the same process, with repetitions interleaved at "
                   f"random (except the pool-size sweep), so the load hits them alike on "
                   f"average; but absolute rates, thread scaling and tail latencies are "
                   f"pessimistic and noisier than on an idle machine.")
    elif hi is not None:
        out.append(f"The 1-minute load average was {before if before is not None else lo:.2f} "
                   f"when the run started, on {cpus} CPUs, and at most {hi:.2f} during it, "
                   f"which counts the benchmark's own threads (up to 16).")
    return " ".join(out)


def gen_threats_clock(d):
    c = d.ctx
    s = f"Latency clock: {c.get('latency_clock', '?')}."
    bt = c.get("library_build_type")
    if bt:
        s += f" Google Benchmark reports its library build type as `{bt}`."
    return s


def gen_data_notes(d):
    notes = []
    g = d.res.get("git", {})
    if g.get("dirty"):
        notes.append(f"The results were measured on a tree with uncommitted changes "
                     f"(`{g.get('describe')}`): the commit alone does not reproduce them exactly.")
    for r in d.ok:
        f = r["median"].get("fail_rate", 0) or 0
        if r["workload"] in ("hot_pair", "random", "bulk", "xfree", "align") and f > 0.005:
            notes.append(f"`{r['name']}`: {pct(f)} of attempts found no room; its ops/s counts "
                         f"these cheap failed attempts as ops.")
    noisy = sorted((r for r in d.ok if r.get("cv", {}).get("ops_per_s", 0) > 0.3),
                   key=lambda r: -r["cv"]["ops_per_s"])
    if noisy:
        notes.append(f"{len(noisy)} of {len(d.ok)} benchmarks have a coefficient of variation of "
                     f"ops/s above 30 % over their repetitions; the worst: "
                     + listing(f"`{r['name']}` ({pct(r['cv']['ops_per_s'])})" for r in noisy[:4])
                     + ".")
    odd = []
    for r in d.ok:
        m = r["median"]
        if r["threads"] == 1 and m.get("lat_p50_ns") and m.get("ns_per_op") \
                and m["lat_p50_ns"] > 2 * m["ns_per_op"] and r["workload"] in ("hot_pair", "align"):
            odd.append(f"`{r['alloc']}` {R.params_key(r['params'])} (p50 {ns(m['lat_p50_ns'])} ns, "
                       f"mean {ns(m['ns_per_op'])} ns)")
    if odd:
        notes.append("Sampled p50 latency more than twice the mean wall time per op, single-threaded, "
                     "which a faithful sample cannot give: " + listing(odd) + ". The sampler times "
                     "every 64th op of a thread, a fixed period; an allocator with periodic slow "
                     "paths (for instance work triggered every so many bytes allocated) can alias "
                     "with it, and RDTSCP around a very short op also stops it from overlapping "
                     "its neighbours. These percentiles should not be compared with the others.")
    for w in ("hot_pair",):
        for g in d.values(w, "gran"):
            ts = d.threads(w, gran=g)
            for a in d.allocs(w, gran=g):
                v = [d.med(w, a, t, "ops_per_s", gran=g) for t in ts]
                for i in range(1, len(v) - 1):
                    if v[i] and v[i - 1] and v[i + 1] and v[i] < 0.8 * v[i - 1] and v[i] < 0.8 * v[i + 1]:
                        notes.append(f"`{a}` hot pair, {g} granule(s): throughput at {ts[i]} "
                                     f"threads ({rate(v[i])}) is below both {ts[i - 1]} and "
                                     f"{ts[i + 1]} threads ({rate(v[i - 1])}, {rate(v[i + 1])}).")
    for e in search_entries(d):
        fails = [e["fail_rate"][str(p)] for p in e["pool_mib"]]
        if len(fails) > 1 and fails[0] >= 0.99 and fails[-1] < 0.01:
            notes.append(f"Search, {e['alloc']}, {e['fill']} % fill, {e['gran']} granules: the "
                         f"smallest pool fails every attempt and the largest never does, so "
                         f"'largest / smallest' ({ratio(e.get('cost_ratio_largest_over_smallest'))}) "
                         f"compares a failed full scan with a successful search.")
    for n in d.res.get("notes", []):
        notes.append(n)
    if not notes:
        return "Nothing in the results file was flagged."
    return "\n".join(f"- {n}" for n in notes)


def gen_readme(d):
    body = R.markdown(d.res).rstrip("\n")
    lines = ["![Hot pair throughput vs threads: genpool lock-free, spinlock, mutex, memkind, "
             "glibc, jemalloc, tcmalloc, mimalloc](papers/figures/headline.png)", "", body]
    load = gen_threats_load(d)
    if load:
        lines += ["", load.replace("**", "")]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The engine section (issue 5): targets and before/after. Generated only from
# results files that measured the engine's variants; the before/after part
# also reads the previous engine's run (ENGINE_BEFORE, or --before).

BEFORE = {"path": ENGINE_BEFORE, "res": None}


def has_engine(res):
    return any(r["alloc"] in (SC, TC, KFIT) or r["workload"] in ("bulk_big", "chunks", "meta")
               for r in res.get("results", []))


def engine_targets(res):
    """The targets list: stored by results.py, or derived here for older files."""
    if res.get("targets") is not None:
        return res["targets"]
    rows = res.get("results", [])
    return R.targets(rows, res.get("search_scaling", []), R.meta_table(rows))


def before_res():
    if BEFORE["res"] is None and BEFORE["path"] and os.path.exists(BEFORE["path"]):
        with open(BEFORE["path"]) as f:
            BEFORE["res"] = json.load(f)
    return BEFORE["res"]


def gen_engine_targets(d):
    if not has_engine(d.res):
        return ""
    rows = []
    for e in [x for x in engine_targets(d.res) if not is_layer_target(x)]:
        meas, goal, verdict = R.fmt_target(e)
        rows.append((e["what"], meas, goal.replace("<=", "≤").replace(">=", "≥"), verdict,
                     e["derived"]))
    ts = [x for x in engine_targets(d.res) if not is_layer_target(x)]
    n_pass = sum(e["pass"] is True for e in ts)
    n_miss = sum(e["pass"] is False for e in ts)
    n_none = sum(e["measured"] is None for e in ts)
    head = (f"{n_pass} targets met, {n_miss} missed, {n_none} not measured in this run "
            f"(rows marked ref are shown for comparison and have no target of their own).")
    return head + "\n\n" + table(["target", "measured", "goal", "result", "from"], rows,
                                 ["---", "---:", "---:", "---", "---"])


# ---------------------------------------------------------------------------
# The layers over the pool (issue 13): object caches and reserves

OC, RS = R.OC, R.RS
LAYER_TARGETS = ("obj-", "rs-")


def is_layer_target(e):
    return e["id"].startswith(LAYER_TARGETS)


def has_layers(res):
    return any(r["alloc"] in (OC, RS) for r in res.get("results", []))


def layer_targets(res):
    rows = res.get("results", [])
    return [e for e in R.layers_targets(R._index(rows))]


def gen_layers(d):
    if not has_layers(d.res):
        return ""
    rows = []
    for e in layer_targets(d.res):
        meas, goal, verdict = R.fmt_target(e)
        rows.append((e["what"], meas, goal.replace("<=", "≤").replace(">=", "≥"), verdict,
                     e["derived"]))
    ts = layer_targets(d.res)
    n_pass = sum(e["pass"] is True for e in ts)
    n_miss = sum(e["pass"] is False for e in ts)
    goals = sum(e["goal"] is not None for e in ts)
    head = (f"{n_pass} of {goals} targets met, {n_miss} missed; the reserve's rows are "
            f"measurements without a goal of their own.")
    fig = ("![Object cache pairs against jemalloc's malloc/free by thread count, and the "
           "reserve under exhaustion](figures/layers.png)")
    return "\n\n".join([head, table(["target", "measured", "goal", "result", "from"], rows,
                                     ["---", "---:", "---:", "---", "---"]), fig])


def plot_layers(res, outdir):
    if not has_layers(res):
        return []
    d = Res(res)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
    for alloc, style in ((OC, "o-"), ("jemalloc", "s--")):
        ts = d.threads("obj_pair", alloc=alloc, bytes=64)
        vs = [d.med("obj_pair", alloc, t, "ops_per_s", bytes=64) for t in ts]
        pts = [(t, v) for t, v in zip(ts, vs) if v]
        if pts:
            a.plot([t for t, _ in pts], [v for _, v in pts], style, label=alloc)
    a.set_xscale("log", base=2)
    a.set_ylim(bottom=0)
    a.set_xlabel("threads")
    a.set_ylabel("alloc+free pairs per second")
    a.set_title("64-byte objects: object cache vs malloc/free", fontsize=9)
    a.legend(fontsize=8)
    a.grid(True, alpha=0.3)
    ts = d.threads("rs_exhaust", alloc=RS, min_nr=2)
    vs = [d.med("rs_exhaust", RS, t, "ops_per_s", min_nr=2) or 0 for t in ts]
    b.bar([str(t) for t in ts], vs, color="tab:green")
    b.set_xlabel("threads (pool held by others, min_nr 2)")
    b.set_ylabel("elements served per second")
    p50 = d.med("rs_wake", RS, 2, "lat_p50_ns", min_nr=1)
    p99 = d.med("rs_wake", RS, 2, "lat_p99_ns", min_nr=1)
    wake = "" if p50 is None else f"; wake-up p50 {us_or_ns(p50)}, p99 {us_or_ns(p99)}"
    b.set_title("Reserve under exhaustion" + wake, fontsize=9)
    b.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Layers over the pool: object caches and reserves", fontsize=11)
    return [P.save(fig, res, outdir, "layers.png")]


def _before_after_rows(old, new):
    """(what, before, after) triples: the same benchmark of genpool_lf in the
    previous engine's run and in this one."""
    o, n = Res(old), Res(new)
    out = []
    for fill, gran in ((90, 16), (90, 1)):
        for pool in (64, 65536):
            b = o.med("search", LF, 1, "ns_per_op", pool_mib=pool, fill=fill, gran=gran)
            a = n.med("search", LF, 1, "ns_per_op", pool_mib=pool, fill=fill, gran=gran)
            out.append((f"search, {fill} % full, {gran_words(gran)}, {mib(pool)}: ns per attempt",
                        b, a, "ns"))
    for t in (1, 2, 8):
        b = o.med("hot_pair", LF, t, "ops_per_s", gran=1)
        a = n.med("hot_pair", LF, t, "ops_per_s", gran=1)
        out.append((f"hot pair, 1 granule, {t} thread{'s' if t != 1 else ''}: ops/s", b, a, "rate"))
    for t in (1, 2, 8):
        b = o.med("bulk", LF, t, "ns_per_alloc", fill=50)
        a = n.med("bulk", LF, t, "ns_per_alloc", fill=50)
        out.append((f"bulk 50 % of 64 MiB, {t} thread{'s' if t != 1 else ''}: ns per alloc",
                    b, a, "ns"))
    return out


def gen_engine_before_after(d):
    old = before_res()
    if not has_engine(d.res) or old is None:
        return ""
    rows = []
    for what, b, a, kind in _before_after_rows(old, d.res):
        f = rate if kind == "rate" else us_or_ns
        change = div(a, b) if kind == "rate" else div(b, a)
        rows.append((what, f(b), f(a), "-" if change is None else times(change)))
    og = old.get("git", {}).get("describe", "?")
    ng = d.res.get("git", {}).get("describe", "?")
    text = (f"genpool_lf (first fit) in the previous engine's run ({old.get('date', '?')}, "
            f"`{og}`, `{os.path.relpath(BEFORE['path'], ROOT)}`) and in this one "
            f"({d.res.get('date', '?')}, `{ng}`), built the same way (release, LTO) and run "
            f"one after the other on this machine. Absolute times drift between runs, so the "
            f"targets above, ratios within one run, are the firm figures and these are "
            f"indicative. Improvement: before / after for costs, after / before for rates.")
    fig = ("![Before and after: genpool_lf of the previous engine against the new engine's "
           "genpool_lf, genpool_sc and genpool_tc](figures/engine-before-after.png)")
    return "\n\n".join([text, table(["benchmark", "before", "after", "improvement"], rows), fig])


def plot_engine_before_after(res, outdir):
    old = before_res()
    if old is None or not has_engine(res):
        return []
    o, n = Res(old), Res(res)
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    ax = axes[0]
    for label, d, alloc, ls in (("before: genpool_lf", o, LF, "--"), ("after: genpool_lf", n, LF, "-"),
                                ("after: genpool_sc", n, SC, "-")):
        for gran, marker in ((16, "o"), (1, "s")):
            pts = [(p, d.med("search", alloc, 1, "ns_per_op", pool_mib=p, fill=90, gran=gran))
                   for p in d.values("search", "pool_mib")]
            pts = [(p, v) for p, v in pts if v is not None]
            if pts:
                color = P.STYLE.get(alloc, ("black",))[0] if label.startswith("after") else "gray"
                ax.plot([p / 1024 for p, _ in pts], [v for _, v in pts], ls=ls, marker=marker,
                        color=color, label=f"{label}, {gran} gr", lw=1.5, ms=4)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("pool size, GiB (90 % full, granules held at random)")
    ax.set_ylabel("ns per alloc + free attempt, 1 thread")
    ax.set_title("search cost vs pool size", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    ax = axes[1]
    for label, d, alloc, ls in (("before: genpool_lf", o, LF, "--"), ("after: genpool_lf", n, LF, "-"),
                                ("after: genpool_sc", n, SC, "-"), ("after: genpool_tc", n, TC, "-"),
                                ("after: genpool_spin", n, SPIN, ":"),
                                ("after: jemalloc", n, "jemalloc", ":")):
        ts = [t for t in d.threads("hot_pair", alloc=alloc, gran=1)]
        vs = [d.med("hot_pair", alloc, t, "ops_per_s", gran=1) for t in ts]
        if ts:
            color = P.STYLE.get(alloc, ("black",))[0] if label.startswith("after") else "gray"
            ax.plot(ts, vs, ls=ls, marker="o", color=color, label=label, lw=1.5, ms=4)
    ts = sorted(set(o.threads("hot_pair", gran=1)) | set(n.threads("hot_pair", gran=1)))
    if ts:
        P.threads_axis(ax, res, ts)
    ax.set_yscale("log")
    ax.set_ylabel("alloc+free pairs per second, all threads")
    ax.set_title("hot pair, 1 granule, half-full 64 MiB pool", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    ax = axes[2]
    for label, d, wl, alloc, params, ls in (
            ("before: genpool_lf, 64 MiB", o, "bulk", LF, {"fill": 50}, "--"),
            ("after: genpool_lf, 64 MiB", n, "bulk", LF, {"fill": 50}, "-"),
            ("after: genpool_lf, 16 GiB", n, "bulk_big", LF, {"pool_mib": 16384, "fill": 50}, "-."),
            ("after: genpool_sc, 16 GiB", n, "bulk_big", SC, {"pool_mib": 16384, "fill": 50}, "-."),
            ("after: kernel-style first fit, 16 GiB", n, "bulk_big", KFIT,
             {"pool_mib": 16384, "fill": 50}, ":")):
        ts = d.threads(wl, alloc=alloc, **params)
        vs = [d.med(wl, alloc, t, "ns_per_op", **params) for t in ts]
        pts = [(t, v) for t, v in zip(ts, vs) if v is not None]
        if pts:
            color = P.STYLE.get(alloc, ("black",))[0] if label.startswith("after") else "gray"
            ax.plot([t for t, _ in pts], [v for _, v in pts], ls=ls, marker="o", color=color,
                    label=label, lw=1.5, ms=4)
    ts = sorted(set(o.threads("bulk")) | set(n.threads("bulk")) | set(n.threads("bulk_big")))
    if ts:
        P.threads_axis(ax, res, ts)
    ax.set_yscale("log")
    ax.set_ylabel("wall ns per call (alloc or free), per thread")
    ax.set_title("bulk fill + drain of 50 % of the pool, 1 granule", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=6)
    fig.suptitle("The previous engine (before, gray) against the scalable engine (after)",
                 fontsize=11)
    return [P.save(fig, res, outdir, "engine-before-after.png")]


# ---------------------------------------------------------------------------
# The real-trace replay (issue 10 part 5): bench/replay_results.py (R.RR)
# holds its tables, targets and figure; this only writes the paper's block.


def gen_replay(d):
    rep = d.res.get("replay")
    if not rep or not rep.get("runs"):
        return ""
    RR = R.RR
    ts = [e for e in engine_targets(d.res) if e["id"].startswith("replay-")]
    trows = []
    for e in ts:
        meas, goal, verdict = R.fmt_target(e)
        trows.append((e["what"], meas, goal.replace("<=", "≤").replace(">=", "≥"), verdict))
    reps = max((r["repetitions"] for r in rep["runs"]), default=0)
    text = (f"{len(rep['traces'])} malloc traces of real Debian programs (`bench/traces/`, "
            f"recorded with `genpool record`), each replayed on one thread in its recorded "
            f"order by `bench/replay_bench`: every allocator gets the same requests, the bytes "
            f"asked rounded up to the granule, and a realloc as an allocation then a free. "
            f"genpool replays into a fresh pool of the trace's peak plus 100 %; before timing, "
            f"each genpool configuration is replayed once against a shadow map (no overlap, "
            f"every free accepted, the pool whole at the end). Medians of {reps} "
            f"repetition{'s' if reps != 1 else ''}, ns per allocation or free.")
    parts = [text, RR.traces_markdown(rep), RR.markdown(rep)]
    if trows:
        parts.append(table(["target", "measured", "goal", "result"], trows,
                           ["---", "---:", "---:", "---"]))
    parts.append("![Real-trace replay: ns per op per trace and allocator at 64-byte and "
                 "16-byte granules](figures/replay.png)")
    return "\n\n".join(parts)
# Issue 15: Concurrency Kit's locks as baselines, instruction counts (6.11)

LOCKS = R.LOCKS  # genpool_spin, genpool_ticket, genpool_mcs


def gen_ck_locks(d):
    """Hot pair ops/s of the three lock baselines and the lock-free pool, and
    which is fastest at each point, in words."""
    locks = [a for a in LOCKS if d.rows("hot_pair", a)]
    if len(locks) < 2:
        return "Not measured in this run: it has no `genpool_ticket` or `genpool_mcs` results."
    rows, queue_best, beats_lf = [], [], []
    for g in d.values("hot_pair", "gran"):
        for t in d.threads("hot_pair", gran=g):
            lf = d.med("hot_pair", LF, t, "ops_per_s", gran=g)
            vals = {a: d.med("hot_pair", a, t, "ops_per_s", gran=g) for a in locks}
            have = {a: v for a, v in vals.items() if v is not None}
            if not have:
                continue
            best = max(have, key=have.get)
            rows.append([g, t, rate(lf)] + [rate(vals[a]) for a in locks]
                        + [best, ratio(div(lf, have[best]))])
            at = f"{g} granule{'s' if g != 1 else ''}, {t} thread{'s' if t != 1 else ''}"
            if best != SPIN:
                queue_best.append(f"{best} at {at}")
            if lf is not None and have[best] > lf:
                beats_lf.append(f"{best} at {at}")
    text = ("A queue lock is the fastest of the three locks here: " + listing(queue_best) + "."
            if queue_best else "pthread's spinlock is the fastest of the three locks everywhere.")
    text += (" A lock beats the lock-free pool here: " + listing(beats_lf) + "."
             if beats_lf else " The lock-free pool beats every lock at every point measured.")
    return table(["granules", "threads", "lock-free ops/s"] + [f"{a} ops/s" for a in locks]
                 + ["fastest lock", "lock-free / fastest lock"], rows) + "\n\n" + text


def gen_ck_icount(d):
    ic = R.icount_hot(d.res.get("icount", {}).get("ir_per_pair"))
    if not ic:
        return "Not measured in this run (no callgrind counts in its results file)."
    je = ic.get("jemalloc")
    rows = [[R.ICOUNT_ALLOC.get(k, k), f"{v:,.0f}", "-" if not je else f"{v / je:.2f}"]
            for k, v in sorted(ic.items(), key=lambda kv: kv[1])]
    return (f"Counted by `{d.res['icount'].get('tool')}` (`bench/icount.py`): one thread, "
            "alloc + free of one 4 KiB granule on a half-full 64 MiB pool, warm.\n\n"
            + table(["allocator", "instructions per pair", "/ jemalloc"], rows,
                    ["---", "---:", "---:"]))


PAPER_BLOCKS = {
    "replay": gen_replay,
    "abstract": gen_abstract,
    "machine": gen_machine,
    "ops": gen_ops,
    "coverage": gen_coverage,
    "headline": gen_headline,
    "peers": gen_peers,
    "fastpath": gen_fastpath,
    "workloads": gen_workloads,
    "bulk": gen_bulk,
    "search": gen_search,
    "latency": gen_latency,
    "frag": gen_frag,
    "disc-search": gen_disc_search,
    "disc-contention": gen_disc_contention,
    "disc-fastpath": gen_disc_fastpath,
    "disc-random": gen_disc_random,
    "disc-frag": gen_disc_frag,
    "conclusion": gen_conclusion,
    "threats-machine": gen_threats_machine,
    "threats-load": gen_threats_load,
    "threats-clock": gen_threats_clock,
    "data-notes": gen_data_notes,
    "engine-targets": gen_engine_targets,
    "engine-before-after": gen_engine_before_after,
    "freerun": lambda d: FR.gen_freerun(d, R.fmt_target),
    "layers": gen_layers,
    "ck-locks": gen_ck_locks,
    "ck-icount": gen_ck_icount,
}
# Blocks of the engine section: no "not used" note for results without the engine.
ENGINE_BLOCKS = {"engine-targets", "engine-before-after"}
# None: a block another generator owns (examples/readme_block.py), left as it is
README_BLOCKS = {"readme-performance": gen_readme, "stats-dump": None}


# ---------------------------------------------------------------------------
# Figures


def plot_latency_hot_pair(res, outdir):
    """Latency percentiles of the hot pair: each granule size at the least and
    the most contended thread count, one panel each."""
    d = Res(res)
    panels = []
    for g in d.values("hot_pair", "gran"):
        ts = [r for r in d.threads("hot_pair", gran=g)]
        for t in sorted({ts[0], ts[-1]}):
            rs = [r for r in d.rows("hot_pair", gran=g, threads=t) if "lat_p50_ns" in r["median"]]
            if rs:
                panels.append((g, t, rs))
    if not panels:
        return []
    cols = 2
    nrows = (len(panels) + 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(12, 4.2 * nrows), squeeze=False)
    for ax, (g, t, rs) in zip(axes.flat, panels):
        P.latency_bars(ax, rs)
        ax.set_title(f"alloc + free of {gran_words(g)}, {t} thread{'s' if t != 1 else ''}",
                     fontsize=9)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Hot pair on a half-full 64 MiB pool: latency percentiles per alloc+free pair "
                 "(sampled)", fontsize=11)
    return [P.save(fig, res, outdir, "latency-hot_pair.png")]


def only(res, workloads):
    sub = dict(res)
    sub["results"] = [r for r in res["results"] if r["workload"] in workloads]
    return sub


def figures(res, outdir):
    paths = []
    paths += P.plot_headline(res, outdir)
    paths += P.plot_throughput(only(res, ("hot_pair", "random", "xfree")), outdir)
    paths += P.plot_bulk(res, outdir)
    paths += P.plot_search(res, outdir)
    paths += plot_latency_hot_pair(res, outdir)
    paths += P.plot_frag(res, outdir)
    paths += plot_engine_before_after(res, outdir)
    paths += FR.plot_freerun(Res(res), plt, outdir)
    paths += R.RR.plot(res.get("replay"), outdir, plt)
    paths += plot_layers(res, outdir)
    return paths


# ---------------------------------------------------------------------------
# Driver


def newest_results():
    best = None
    # results/ holds local runs; papers/data/ the run the committed paper is built from
    for path in (glob.glob(os.path.join(ROOT, "results", "*.json"))
                 + glob.glob(os.path.join(ROOT, "papers", "data", "*.json"))):
        try:
            with open(path) as f:
                res = json.load(f)
        except (OSError, ValueError):
            continue
        if not isinstance(res, dict) or res.get("schema") != R.SCHEMA:
            continue
        key = (res.get("date", ""), os.path.getmtime(path))
        if best is None or key > best[0]:
            best = (key, path)
    return best[1] if best else None


def fill(text, blocks, d, where):
    seen = set()

    def sub(m):
        name = m.group(2)
        if name not in blocks:
            raise SystemExit(f"paper.py: {where}: no generator for block '{name}'")
        seen.add(name)
        if blocks[name] is None:
            return m.group(0)
        body = blocks[name](d).strip("\n") or "*Not measured in this results file.*"
        return f"{m.group(1)}{body}\n{m.group(4)}"

    out = MARK.sub(sub, text)
    return out, sorted(set(blocks) - seen)


class Writer:
    def __init__(self, check):
        self.check, self.changed = check, []

    def put(self, path, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            with open(path, "rb") as f:
                if f.read() == data:
                    return
        except OSError:
            pass
        self.changed.append(os.path.relpath(path, ROOT))
        if self.check:
            return
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--before", default=ENGINE_BEFORE)
    ap.add_argument("results", nargs="?")
    args = ap.parse_args()
    BEFORE["path"] = args.before
    path = args.results or newest_results()
    if not path:
        sys.exit("paper.py: no results/*.json with schema genpool-bench/1; run scripts/bench first")
    with open(path) as f:
        res = json.load(f)
    if res.get("schema") != R.SCHEMA:
        sys.exit(f"paper.py: {path}: schema {res.get('schema')!r}, expected {R.SCHEMA!r}")
    d = Res(res)
    w = Writer(args.check)

    # Figures: drawn into a scratch directory, copied only when they differ.
    os.makedirs(FIGDIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        made = figures(res, tmp)
        names = {os.path.basename(p) for p in made}
        for p in sorted(made):
            with open(p, "rb") as f:
                w.put(os.path.join(FIGDIR, os.path.basename(p)), f.read())
    for old in sorted(glob.glob(os.path.join(FIGDIR, "*.png"))):
        if os.path.basename(old) not in names:
            w.changed.append(os.path.relpath(old, ROOT) + " (removed)")
            if not args.check:
                os.remove(old)

    for doc, blocks in ((PAPER, PAPER_BLOCKS), (README, README_BLOCKS)):
        with open(doc) as f:
            text = f.read()
        if not MARK.search(text):
            sys.exit(f"paper.py: {os.path.relpath(doc, ROOT)} has no generated blocks")
        out, unused = fill(text, blocks, d, os.path.relpath(doc, ROOT))
        for u in unused:
            if u in ENGINE_BLOCKS and not has_engine(res):
                continue
            if u == "layers" and not has_layers(res):
                continue
            print(f"paper.py: note: block '{u}' is not used in {os.path.relpath(doc, ROOT)}",
                  file=sys.stderr)
        for ref in sorted(set(re.findall(r"\]\(((?:papers/)?figures/[\w.-]+\.png)\)", out))):
            if os.path.basename(ref) not in names:
                print(f"paper.py: warning: {os.path.relpath(doc, ROOT)} shows {ref}, which this "
                      f"results file does not produce", file=sys.stderr)
        w.put(doc, out)

    rel = os.path.relpath(path, ROOT)
    if args.check:
        if w.changed:
            print(f"paper.py: out of date with {rel}: " + ", ".join(w.changed))
            sys.exit(1)
        print(f"paper.py: up to date with {rel}")
        return
    print(f"paper.py: from {rel}: {len(names)} figures in papers/figures/, "
          f"{len(w.changed)} file(s) changed" + (": " + ", ".join(w.changed) if w.changed else ""))


if __name__ == "__main__":
    main()
