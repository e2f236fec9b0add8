# SPDX-License-Identifier: LGPL-2.1-or-later
"""targets_freerun.py - issue 10's targets (the free-run index), derived
from the rows of one scripts/bench run: results.py calls freerun_targets()
and appends them to the targets table. Every ratio compares medians
measured in the same run (the build from before the index is run by
scripts/bench right after the new one, alternating, as genpool_lf_prev)."""

BASE = "genpool_lf"
PREV = "genpool_lf_prev"
KFIT = "genpool_kfit"


def _params_key(params):
    return "/".join(f"{k}:{params[k]}" for k in sorted(params))


def _index(rows):
    idx = {}
    for r in rows:
        if "error" not in r:
            idx[(r["workload"], r["alloc"], _params_key(r["params"]), r["threads"])] = r["median"]
    return idx


def _get(idx, workload, alloc, threads, metric, **params):
    m = idx.get((workload, alloc, _params_key(params), threads))
    return None if m is None else m.get(metric)


def _div(a, b):
    return a / b if a is not None and b else None


def _target(tid, what, ratio, goal, cmp, derived):
    ok = None
    if ratio is not None:
        ok = ratio >= goal if cmp == ">=" else ratio <= goal
    return {"id": tid, "what": what, "measured": ratio, "goal": goal, "cmp": cmp,
            "pass": ok, "reference": False, "derived": derived}


def _churn(idx, alloc, threads):
    """Successful ops/s of random 1..16-granule churn (attempts refused for
    want of room left out, as memkind refuses more)."""
    v = _get(idx, "random", alloc, threads, "ok_per_s", max_gran=16)
    return v if v is not None else _get(idx, "random", alloc, threads, "ops_per_s", max_gran=16)


def _ir(icount, kind):
    """Instructions per hot pair of @kind in a bench/icount.py result, or None."""
    return ((icount or {}).get("ir_per_pair") or {}).get(kind)


def freerun_targets(rows, scaling, icount=None, icount_before=None):
    idx = _index(rows)
    out = []
    far = {p: _get(idx, "far_run", BASE, 1, "ns_per_op", pool_mib=p, gran=32)
           for p in (64, 1024, 16384)}
    kfit = _get(idx, "far_run", KFIT, 1, "ns_per_op", pool_mib=64, gran=32)
    out.append(_target("far-scale", f"far run (32 granules past small holes), {BASE}: "
                       "16 GiB / 64 MiB cost", _div(far[16384], far[64]), 2.0, "<=",
                       "far_run ns_per_op medians, gran 32, 1 thread"))
    out.append(_target("far-kfit", f"far run at 64 MiB: {BASE} cost / kernel-style linear "
                       "first fit cost", _div(far[64], kfit), 0.25, "<=",
                       "far_run ns_per_op medians, pool_mib 64, gran 32, 1 thread"))
    e = next((x for x in scaling if x["alloc"] == BASE and x["fill"] == 90 and x["gran"] == 16
              and x["threads"] == 1), None)
    r = None
    if e and "65536" in e["ns_per_op"] and "64" in e["ns_per_op"]:
        r = _div(e["ns_per_op"]["65536"], e["ns_per_op"]["64"])
    out.append(_target("fail16", f"failing 16-granule request at 90 % fill, {BASE}: "
                       "64 GiB / 64 MiB cost", r, 2.0, "<=",
                       "search ns_per_op medians, fill 90, gran 16, 1 thread"))
    mk1, mk16 = _churn(idx, "memkind", 1), _churn(idx, "memkind", 16)
    out.append(_target("churn-ff", f"random 1..16-granule churn, 1 thread: {BASE} / memkind "
                       "throughput", _div(_churn(idx, BASE, 1), mk1), 1.0, ">=",
                       "random ok_per_s medians, max_gran 16"))
    out.append(_target("churn-sc", "random 1..16-granule churn, 16 threads: genpool_sc / "
                       "memkind throughput", _div(_churn(idx, "genpool_sc", 16), mk16), 1.0,
                       ">=", "random ok_per_s medians, max_gran 16"))
    out.append(_target("oversub", f"random 1..16-granule churn, {BASE}: 16 threads / 2 "
                       "threads throughput (2 cores)",
                       _div(_churn(idx, BASE, 16), _churn(idx, BASE, 2)), 0.5, ">=",
                       "random ok_per_s medians, max_gran 16"))
    a1 = _get(idx, "chunks", BASE, 1, "ns_per_alloc", pool_mib=1024, chunks=1, fill=50)
    a1k = _get(idx, "chunks", BASE, 1, "ns_per_alloc", pool_mib=1024, chunks=1000, fill=50)
    out.append(_target("chunks-alloc", f"alloc cost, {BASE}: 1000 chunks / 1 chunk (1 GiB pool)",
                       _div(a1k, a1), 2.0, "<=", "chunks ns_per_alloc medians, 1 thread"))
    hot = _div(_get(idx, "hot_pair", BASE, 1, "ns_per_op", gran=1),
               _get(idx, "hot_pair", PREV, 1, "ns_per_op", gran=1))
    out.append(_target("hot-prev", f"1-granule hot pair, {BASE}: time after / before the index",
                       hot, 1.10, "<=", "hot_pair ns_per_op medians, gran 1, 1 thread; before = "
                       "the build of the commit before the index, same run"))
    out.append(_target("hot-prev-ir", f"1-granule hot pair, {BASE}: instructions after / "
                       "before the index", _div(_ir(icount, "lf"), _ir(icount_before, "lf")),
                       1.10, "<=", "bench/icount.py lf, callgrind: this build and the build "
                       "before the index (repeatable, unlike the times)"))
    out.append(_target("search-prev-ir", f"1-granule search at 90 %, {BASE}: instructions "
                       "after / before the index", _div(_ir(icount, "search"),
                                                       _ir(icount_before, "search")),
                       1.10, "<=", "bench/icount.py search, callgrind: this build and the "
                       "build before the index"))
    srch = _div(_get(idx, "search", BASE, 1, "ns_per_op", pool_mib=64, fill=90, gran=1),
                _get(idx, "search", PREV, 1, "ns_per_op", pool_mib=64, fill=90, gran=1))
    out.append(_target("search-prev", f"1-granule search at 90 % of 64 MiB, {BASE}: time after "
                       "/ before the index", srch, 1.10, "<=", "search ns_per_op medians, same run"))
    return out
