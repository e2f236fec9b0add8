#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""results.py - merge Google Benchmark JSON files from bench/gbench into one
results file, derive the ratio tables, and print the headline table.

usage: results.py --out FILE [--markdown MD] [--mode M] [--cmd STR] [--replay REPLAY.json]
                  RUN.json [RUN.json ...]
       results.py --print FILE          (print the tables of a results file)
       results.py --markdown - FILE     (the headline tables as Markdown, for the README)

Every number in the tables is taken from the runs in the same file: ratios
compare allocators measured in the same process, medians are over the
repetitions of each benchmark (--benchmark_repetitions).
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from targets_freerun import freerun_targets  # noqa: E402  (issue 10's rows)
import replay_results as RR  # the real-trace replay benchmark (bench/replay_bench)

SCHEMA = "genpool-bench/1"
BASE = "genpool_lf"
# The competitors of the headline ratios, in column order.
VERSUS = ["genpool_spin", "genpool_ticket", "genpool_mcs", "genpool_mutex", "memkind",
          "jemalloc"]
# Every other allocator also gets a ratio in the JSON tables.
OTHERS = ["genpool_lf_bf", "genpool_spin_bf", "glibc", "tcmalloc", "mimalloc", "genpool_sc",
          "genpool_tc", "genpool_strict", "genpool_kfit"]
GB_SUFFIX = re.compile(r"^(real_time|manual_time|(threads|iterations|repeats|min_time):.*)$")


def parse_name(run_name):
    """'hot_pair/genpool_lf/gran:8/real_time/threads:2' -> workload, alloc, params."""
    parts = run_name.split("/")
    params = {}
    for p in parts[2:]:
        if GB_SUFFIX.match(p):
            continue
        key, _, val = p.partition(":")
        try:
            params[key] = int(val)
        except ValueError:
            try:
                params[key] = float(val)
            except ValueError:
                params[key] = val
    return parts[0], parts[1] if len(parts) > 1 else "", params


def params_key(params):
    return "/".join(f"{k}:{params[k]}" for k in sorted(params))


# Fields of a Google Benchmark entry that are not counters.
GB_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "aggregate_name", "aggregate_unit", "error_occurred", "error_message",
    "label", "big_o", "rms", "complexity_n", "invocation",
}


def summarise(entries):
    """One row per benchmark: medians (and spread) over its repetitions."""
    groups = {}
    for e in entries:
        if e.get("run_type") != "iteration":
            continue
        groups.setdefault(e["run_name"], []).append(e)
    rows = []
    for run_name, reps in groups.items():
        workload, alloc, params = parse_name(run_name)
        row = {
            "name": run_name,
            "workload": workload,
            "alloc": alloc,
            "params": params,
            "threads": reps[0].get("threads", 1),
            "repetitions": len(reps),
        }
        errors = [e.get("error_message", "") for e in reps if e.get("error_occurred")]
        if errors:
            row["error"] = errors[0]
        ok = [e for e in reps if not e.get("error_occurred")]
        metrics = {}
        for e in ok:
            for k, v in e.items():
                if k in GB_FIELDS and k not in ("real_time", "cpu_time", "iterations"):
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    metrics.setdefault(k, []).append(float(v))
        row["median"] = {k: statistics.median(v) for k, v in metrics.items()}
        row["min"] = {k: min(v) for k, v in metrics.items()}
        row["max"] = {k: max(v) for k, v in metrics.items()}
        if len(ok) > 1:
            row["cv"] = {
                k: (statistics.stdev(v) / statistics.mean(v) if statistics.mean(v) else 0.0)
                for k, v in metrics.items()
            }
        rows.append(row)
    return rows


def ratio_tables(rows):
    """genpool_lf's median ops/s over each other allocator's, per configuration.
    ok_ratio: the same over successful ops/s (ok_per_s: attempts refused for
    want of room left out), where both have it: the fair one when an
    allocator fails many cheap attempts."""
    by_config = {}
    for r in rows:
        if "error" in r or "ops_per_s" not in r["median"]:
            continue
        key = (r["workload"], params_key(r["params"]), r["threads"])
        by_config.setdefault(key, {})[r["alloc"]] = r
    out = []
    for (workload, pkey, threads), allocs in sorted(by_config.items()):
        if BASE not in allocs:
            continue
        base = allocs[BASE]["median"]["ops_per_s"]
        base_ok = allocs[BASE]["median"].get("ok_per_s")
        versus = {}
        for other in VERSUS + OTHERS:
            if other in allocs and allocs[other]["median"].get("ops_per_s"):
                v = allocs[other]["median"]["ops_per_s"]
                versus[other] = {"ops_per_s": v, "ratio": base / v}
                ok = allocs[other]["median"].get("ok_per_s")
                if ok and base_ok is not None:
                    versus[other].update(ok_per_s=ok, ok_ratio=base_ok / ok)
        out.append({
            "workload": workload,
            "params": allocs[BASE]["params"],
            "threads": threads,
            "metric": "ops_per_s",
            BASE: base,
            "versus": versus,
        })
    return out


def search_scaling(rows):
    """Cost (ns per op) at the largest pool over the smallest, per allocator and fill."""
    groups = {}
    for r in rows:
        if r["workload"] != "search" or "error" in r or "ns_per_op" not in r["median"]:
            continue
        p = dict(r["params"])
        pool = p.pop("pool_mib")
        key = (r["alloc"], p.get("fill"), p.get("gran"), r["threads"])
        groups.setdefault(key, {})[pool] = r["median"]
    out = []
    for (alloc, fill, gran, threads), pools in sorted(groups.items()):
        lo, hi = min(pools), max(pools)
        entry = {
            "alloc": alloc, "fill": fill, "gran": gran, "threads": threads,
            "pool_mib": sorted(pools),
            "ns_per_op": {str(k): pools[k]["ns_per_op"] for k in sorted(pools)},
            "fail_rate": {str(k): pools[k].get("fail_rate", 0.0) for k in sorted(pools)},
            "smallest_mib": lo, "largest_mib": hi,
        }
        if hi != lo and pools[lo]["ns_per_op"] > 0:
            entry["cost_ratio_largest_over_smallest"] = (pools[hi]["ns_per_op"]
                                                         / pools[lo]["ns_per_op"])
        out.append(entry)
    return out


def frag_table(rows):
    out = []
    for r in rows:
        if r["workload"] != "frag" or "error" in r:
            continue
        m = r["median"]
        out.append({
            "alloc": r["alloc"], "occ": r["params"].get("occ"), "threads": r["threads"],
            **{k: m.get(k) for k in ("fail_rate", "largest_free_granules", "free_granules",
                                      "largest_free_frac", "occupancy_end", "q1_p99_ns",
                                      "q4_p99_ns", "drift_p99", "ns_per_op", "ops_per_s")},
            **{k: m[k] for k in ("occ_first_fail", "occ_at_fail") if k in m},
        })
    return sorted(out, key=lambda e: (e["occ"] or 0, e["threads"], e["alloc"]))

# ---------------------------------------------------------------------------
# Issue 5 ("Scalable engine"): its targets, each a ratio of two benchmarks of
# the same run. A target whose benchmarks are missing (an allocator not
# built, a set not run) is listed with measured None ("not measured").

ENGINE = ["genpool_sc", "genpool_tc"]
KFIT = "genpool_kfit"


def _index(rows):
    idx = {}
    for r in rows:
        if "error" in r or not r.get("median"):
            continue
        idx[(r["workload"], r["alloc"], params_key(r["params"]), r["threads"])] = r["median"]
    return idx


def _get(idx, workload, alloc, threads, metric, **params):
    m = idx.get((workload, alloc, params_key(params), threads))
    return None if m is None else m.get(metric)


def _div(a, b):
    return a / b if a is not None and b else None


def _target(tid, what, ratio, goal, cmp, derived, ref=False):
    ok = None
    if ratio is not None and goal is not None and not ref:
        ok = ratio >= goal if cmp == ">=" else ratio <= goal
    return {"id": tid, "what": what, "measured": ratio, "goal": goal, "cmp": cmp,
            "pass": ok, "reference": ref, "derived": derived}


def meta_table(rows):
    """meta: bits per granule per allocator and chunk size; the per-granule
    slope and the fixed cost per chunk from the smallest and largest chunk."""
    by = {}
    for r in rows:
        if r["workload"] != "meta" or "error" in r or "meta_bytes" not in r.get("median", {}):
            continue
        m = r["median"]
        by.setdefault(r["alloc"], {})[r["params"].get("pool_mib")] = m
    out = []
    for alloc, sizes in sorted(by.items()):
        e = {"alloc": alloc, "pool_mib": sorted(sizes),
             "bits_per_granule": {str(k): sizes[k]["meta_bits_per_granule"] for k in sorted(sizes)},
             "meta_bytes": {str(k): sizes[k]["meta_bytes"] for k in sorted(sizes)}}
        lo, hi = min(sizes), max(sizes)
        if hi != lo:
            g_lo, g_hi = sizes[lo]["chunk_granules"], sizes[hi]["chunk_granules"]
            b_lo, b_hi = sizes[lo]["meta_bytes"], sizes[hi]["meta_bytes"]
            slope = (b_hi - b_lo) / (g_hi - g_lo)
            e["slope_bits_per_granule"] = 8 * slope
            e["fixed_bytes_per_chunk"] = b_lo - slope * g_lo
        out.append(e)
    return out


def targets(rows, scaling, meta):
    idx = _index(rows)
    out = []
    # 1. search: 64 GiB over 64 MiB, 1 granule at 90 % fill, one thread
    for a in (BASE, "genpool_sc"):
        e = next((x for x in scaling if x["alloc"] == a and x["fill"] == 90 and x["gran"] == 1
                  and x["threads"] == 1), None)
        r = None
        if e and "65536" in e["ns_per_op"] and "64" in e["ns_per_op"]:
            r = _div(e["ns_per_op"]["65536"], e["ns_per_op"]["64"])
        out.append(_target("search", f"search cost, {a}: 64 GiB / 64 MiB (1 granule, 90 % fill)",
                           r, 1.5, "<=", "search ns_per_op median, pool_mib 65536 over 64, "
                           "fill 90, gran 1, 1 thread"))
    # 2. hot pair, one thread, one granule, against jemalloc
    je = _get(idx, "hot_pair", "jemalloc", 1, "ns_per_op", gran=1)
    tc = _get(idx, "hot_pair", "genpool_tc", 1, "ns_per_op", gran=1)
    sc = _get(idx, "hot_pair", "genpool_sc", 1, "ns_per_op", gran=1)
    out.append(_target("hot-tc", "hot pair, 1 thread, 1 granule: jemalloc time / genpool_tc time",
                       _div(je, tc), 1.0, ">=", "hot_pair ns_per_op medians, gran 1, 1 thread"))
    out.append(_target("hot-sc", "hot pair, 1 thread, 1 granule: genpool_sc time / jemalloc time",
                       _div(sc, je), 3.0, "<=", "hot_pair ns_per_op medians, gran 1, 1 thread"))
    # 3. scaling of the hot pair (1 granule): 2 vs 1 thread, 16 vs 2
    for a in ENGINE + ["genpool_spin"]:
        ref = a == "genpool_spin"
        t1, t2, t16 = (_get(idx, "hot_pair", a, t, "ops_per_s", gran=1) for t in (1, 2, 16))
        out.append(_target("scale-2", f"hot pair scaling, {a}: ops/s 2 threads / 1 thread",
                           _div(t2, t1), 1.8, ">=", "hot_pair ops_per_s medians, gran 1", ref))
        out.append(_target("scale-16", f"hot pair scaling, {a}: ops/s 16 threads / 2 threads",
                           _div(t16, t2), 0.9, ">=", "hot_pair ops_per_s medians, gran 1", ref))
    # 4. bulk fill + drain of 50 % of 16 GiB against the kernel-style first fit
    kt = sorted({k[3] for k in idx if k[0] == "bulk_big" and k[1] == KFIT})
    for a in (BASE, "genpool_sc"):
        for t in kt or [1, 2, 16]:
            k = _get(idx, "bulk_big", KFIT, t, "ns_per_op", pool_mib=16384, fill=50)
            v = _get(idx, "bulk_big", a, t, "ns_per_op", pool_mib=16384, fill=50)
            out.append(_target("bulk-kfit", f"bulk 50 % of 16 GiB, {t} thread(s): kernel-style "
                               f"first fit cost / {a} cost", _div(k, v), 3.0, ">=",
                               "bulk_big ns_per_op medians (genpool_kfit: 1 repetition)"))
    # 5. metadata: bits per granule of a 64 GiB chunk (plain pool); strict, cache shown
    for e in [x for x in meta if x["alloc"] in (BASE, "genpool_strict", "genpool_tc")]:
        v = e["bits_per_granule"].get("65536")
        fixed = e.get("fixed_bytes_per_chunk")
        slope = e.get("slope_bits_per_granule")
        what = f"metadata, {e['alloc']}: bits per granule of a 64 GiB chunk"
        if slope is not None:
            what += f" (slope {slope:.3f} bits/granule + {fixed:,.0f} B per chunk)"
        out.append(_target("meta", what, v, 1.1, "<=", "meta meta_bits_per_granule, pool_mib "
                           "65536 (slope and fixed cost from 64 MiB and 64 GiB)",
                           e["alloc"] != BASE))
    if not any(e["alloc"] == BASE for e in meta):
        out.append(_target("meta", f"metadata, {BASE}: bits per granule of a 64 GiB chunk",
                           None, 1.1, "<=", "meta meta_bits_per_granule, pool_mib 65536"))
    # 6. fragmentation: achievable occupancy before the first failure vs first fit
    occs = sorted({int(k[2].split("occ:")[1].split("/")[0]) for k in idx
                   if k[0] == "frag" and "occ:" in k[2]}, reverse=True)
    occ = occs[0] if occs else 100
    # at occ 100 the first refusal comes in the untimed fill of a clean pool:
    # the occupancy at the refusals of the aged, timed phase is the figure
    metric = "occ_at_fail" if _get(idx, "frag", BASE, 1, "occ_at_fail", occ=occ,
                                   max_gran=256) is not None else "occ_first_fail"
    base = _get(idx, "frag", BASE, 1, metric, occ=occ, max_gran=256)
    for a in ENGINE:
        v = _get(idx, "frag", a, 1, metric, occ=occ, max_gran=256)
        out.append(_target("frag", f"fragmentation, occupancy when refused: {a} / "
                           f"{BASE} (target occupancy {occ} %)", _div(v, base), 0.95, ">=",
                           f"frag {metric} medians, 1 thread, max_gran 256, occ {occ}"))
    # 7. free with 1000 chunks vs 1
    for a in (BASE, "genpool_sc"):
        c1 = _get(idx, "chunks", a, 1, "ns_per_free", pool_mib=1024, chunks=1, fill=50)
        c1k = _get(idx, "chunks", a, 1, "ns_per_free", pool_mib=1024, chunks=1000, fill=50)
        out.append(_target("chunks", f"free cost, {a}: 1000 chunks / 1 chunk (1 GiB pool)",
                           _div(c1k, c1), 1.2, "<=", "chunks ns_per_free medians, 1 thread "
                           "(target about 1.0; pass up to 1.2)"))
    out += lifecycle_targets(idx)
    out.extend(layers_targets(idx))
    out += log_targets(idx)
    return out


# Issue 12 (chunk lifecycle): allocation latency while another thread removes
# and re-adds a chunk, against the same run without removal; and what one
# import and one shrink of a 2 MiB span cost (shown, no goal).
LIFECYCLE = ["genpool_lf", "genpool_spin"]


def lifecycle_targets(idx):
    out = []
    for a in LIFECYCLE:
        for t in (1, 2):
            for q in ("p50", "p99", "p999"):
                m = f"lat_{q}_ns"
                off = _get(idx, "churn", a, t, m, remove=0)
                on = _get(idx, "churn", a, t, m, remove=1)
                out.append(_target("churn-" + q, f"alloc latency {q}, {a}, {t} thread(s): with "
                                   "a chunk removed and re-added meanwhile / without",
                                   _div(on, off), 2.0, "<=",
                                   f"churn {m} medians, remove 1 over remove 0",
                                   a == "genpool_spin"))  # the contrast: closes under the lock
        for m, what in (("import_ns", "import"), ("shrink_ns", "shrink")):
            v = _get(idx, "import", a, 1, m, pool_mib=2)
            out.append(_target("lifecycle-" + what, f"{what} of one 2 MiB anonymous span, {a}: "
                               "ns (mean)", v, None, "<=", f"import {m} median, 1 thread"))
    return out


# Issue 13 (layers over the pool): object caches and reserves. The object
# cache runs beside jemalloc's malloc/free of the same size; its bookkeeping
# is measured (obj_meta); the reserve's figures are measurements to report,
# with no goal of their own.
OC = "genpool_oc"
RS = "genpool_rs"


def layers_targets(idx):
    out = []
    oc1 = _get(idx, "obj_pair", OC, 1, "ns_per_op", bytes=64)
    je1 = _get(idx, "obj_pair", "jemalloc", 1, "ns_per_op", bytes=64)
    out.append(_target("obj-pair", "object cache pair, 1 thread, 64 B: genpool_oc time / "
                       "jemalloc malloc+free time", _div(oc1, je1), 1.5, "<=",
                       "obj_pair ns_per_op medians, bytes 64, 1 thread"))
    t1, t2, t16 = (_get(idx, "obj_pair", OC, t, "ops_per_s", bytes=64) for t in (1, 2, 16))
    out.append(_target("obj-scale-2", "object cache scaling: ops/s 2 threads / 1 thread",
                       _div(t2, t1), 1.8, ">=", "obj_pair ops_per_s medians, bytes 64"))
    out.append(_target("obj-scale-16", "object cache scaling: ops/s 16 threads / 2 threads",
                       _div(t16, t2), 0.9, ">=", "obj_pair ops_per_s medians, bytes 64"))
    bits = _get(idx, "obj_meta", OC, 1, "oc_bits_per_object", bytes="64+8")
    fixed = _get(idx, "obj_meta", OC, 1, "oc_fixed_bytes_per_slab", bytes="64+8")
    what = "object cache bookkeeping: bits per object"
    if fixed is not None:
        what += f" (+ {fixed:,.0f} B fixed per slab, measured)"
    out.append(_target("obj-meta", what, bits, 2.0, "<=", "obj_meta oc_bits_per_object: heap "
                       "growth of 1024 slabs of 8-byte objects less that of 64-byte ones, per "
                       "object; the rest per slab is the fixed cost"))
    for t in (2, 16):
        v = _get(idx, "rs_exhaust", RS, t, "ops_per_s", min_nr=2)
        out.append(_target("rs-exhaust", f"reserve under exhaustion, {t} threads: elements "
                           "served from the reserve per second (min_nr 2)", v, None, "",
                           "rs_exhaust ops_per_s median"))
    for q in ("p50", "p99"):
        v = _get(idx, "rs_wake", RS, 2, f"lat_{q}_ns", min_nr=1)
        out.append(_target("rs-wake", f"reserve waiter wake-up latency {q}, ns (a free while "
                           "the waiter sleeps)", v, None, "", f"rs_wake lat_{q}_ns median"))
    return out


# Issue 14 (statistics and the event log): the hot pair with the event log
# on (genpool_log, to /dev/null unless GENPOOL_BENCH_LOG says otherwise) at
# most 3x its time with the log off (genpool_lf), in the same run.
def log_targets(idx):
    out = []
    ts = sorted({k[3] for k in idx if k[0] == "hot_pair" and k[1] == "genpool_log"}) or [1, 2]
    for t in ts:
        on = _get(idx, "hot_pair", "genpool_log", t, "ns_per_op", gran=1)
        off = _get(idx, "hot_pair", BASE, t, "ns_per_op", gran=1)
        out.append(_target("log-on", f"event log, hot pair, {t} thread(s), 1 granule: log on "
                           f"(genpool_log) time / log off ({BASE}) time", _div(on, off), 3.0,
                           "<=", "hot_pair ns_per_op medians, gran 1"))
    return out


LOCKS = ["genpool_spin", "genpool_ticket", "genpool_mcs"]  # the lock baselines (issue 15)
# callgrind kinds of bench/icount.py and the allocator each stands for
ICOUNT_ALLOC = {"lf": BASE, "sc": "genpool_sc", "tc": "genpool_tc", "spin": "genpool_spin",
                "ticket": "genpool_ticket", "mcs": "genpool_mcs", "glibc": "glibc",
                "jemalloc": "jemalloc"}


def icount_hot(ir):
    """The hot pairs of an icount result (the 1-granule pair on a half-full
    pool); the other kinds (search, churn) have their own rows."""
    return {k: v for k, v in (ir or {}).items() if k in ICOUNT_ALLOC}


def targets_ck(rows, icount):
    """Issue 15's targets (the timed ones of issue 5 it repeats are not
    repeated): churn in a cache pool, the lock-free pool against the best of
    the three locks, and instruction counts per hot pair (callgrind)."""
    idx = _index(rows)
    out = []
    je = _get(idx, "random", "jemalloc", 2, "ops_per_s", max_gran=16)
    tc = _get(idx, "random", "genpool_tc", 2, "ops_per_s", max_gran=16)
    tc16 = _get(idx, "random", "genpool_tc16", 2, "ops_per_s", max_gran=16)
    tcsc = _get(idx, "random", "genpool_tcsc", 2, "ops_per_s", max_gran=16)
    out.append(_target("churn-tc", "random 1-16 granule churn, 2 threads: genpool_tc ops/s "
                       "(default cache classes 1..8; 9..16 granules uncached) / jemalloc ops/s",
                       _div(tc, je), 0.5, ">=", "random ops_per_s medians, max_gran 16, 2 threads"))
    out.append(_target("churn-tc16", "the same with the cache configured for 1..16 granules "
                       "(genpool_tc16, gen_pool_cache_configure) / jemalloc", _div(tc16, je),
                       0.5, ">=", "random ops_per_s medians, max_gran 16, 2 threads (shown)",
                       True))
    out.append(_target("churn-tcsc", "the same with the default cache (1..8) and scalable fit as "
                       "the pool's default algorithm (genpool_tcsc, gen_pool_set_algo) / jemalloc",
                       _div(tcsc, je), 0.5, ">=",
                       "random ops_per_s medians, max_gran 16, 2 threads (shown)", True))
    for t in (1, 2, 8, 16):
        lf = _get(idx, "hot_pair", BASE, t, "ops_per_s", gran=1)
        best = [(v, a) for a in LOCKS
                if (v := _get(idx, "hot_pair", a, t, "ops_per_s", gran=1)) is not None]
        v, a = max(best) if best else (None, "a lock")
        out.append(_target("vs-best-lock", f"hot pair, {t} thread(s), 1 granule: genpool_lf "
                           f"ops/s / the best lock baseline's ({a})", _div(lf, v), 1.0, ">=",
                           "hot_pair ops_per_s medians, gran 1; best of " + ", ".join(LOCKS)))
    ir = (icount or {}).get("ir_per_pair", {})
    jir = ir.get("jemalloc")
    for k, goal in (("tc", 1.0), ("sc", 3.0)):
        out.append(_target(f"ir-{k}", f"instructions per hot pair (callgrind), "
                           f"{ICOUNT_ALLOC[k]} / jemalloc", _div(ir.get(k), jir), goal, "<=",
                           "bench/icount.py: 1 thread, 1 granule, per alloc+free pair"))
    for k in ("lf", "spin", "ticket", "mcs", "glibc"):
        if k in ir:
            out.append(_target(f"ir-{k}", f"instructions per hot pair (callgrind), "
                               f"{ICOUNT_ALLOC[k]} / jemalloc", _div(ir.get(k), jir), None,
                               "<=", "bench/icount.py (shown, no goal)", True))
    return out


def engine_bulk_table(rows):
    """bulk_big and chunks: per-call costs by allocator and thread count."""
    out = []
    for r in rows:
        if r["workload"] not in ("bulk_big", "chunks") or "error" in r:
            continue
        m = r["median"]
        out.append({"workload": r["workload"], "alloc": r["alloc"], "params": r["params"],
                    "threads": r["threads"], "repetitions": r["repetitions"],
                    **{k: m.get(k) for k in ("ns_per_op", "ns_per_alloc", "ns_per_free",
                                              "ops_per_s")}})
    return sorted(out, key=lambda e: (e["workload"], params_key(e["params"]), e["alloc"],
                                      e["threads"]))


def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def machine_info():
    cpuinfo = read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+)", read("/proc/meminfo"), re.M)
    osrel = re.search(r'^PRETTY_NAME="?([^"\n]*)', read("/etc/os-release"), re.M)
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "cpu_model": model.group(1) if model else platform.processor(),
        "hypervisor": "hypervisor" in cpuinfo,
        "mem_total_kib": int(mem.group(1)) if mem else None,
        "kernel": platform.release(),
        "os": osrel.group(1) if osrel else "",
        "arch": platform.machine(),
        "compiler": sh(["cc", "--version"]).split("\n")[0],
        "glibc": " ".join(platform.libc_ver()),
        "load_avg": os.getloadavg(),
        "packages": dict(
            line.split("\t", 1) for line in sh([
                "dpkg-query", "-W", "-f=${Package}\t${Version}\n", "libbenchmark-dev",
                "libmemkind-dev", "libjemalloc-dev", "libmimalloc-dev",
                "libgoogle-perftools-dev", "liburcu-dev"]).splitlines() if "\t" in line),
    }


def git_info(root):
    commit = sh(["git", "-C", root, "rev-parse", "HEAD"])
    return {
        "commit": commit,
        "describe": sh(["git", "-C", root, "describe", "--always", "--dirty"]),
        "dirty": bool(sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])),
    }


# ---------------------------------------------------------------------------
# The printed tables


def fmt_rate(v):
    if v is None:
        return "-"
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{unit}"
    return f"{v:.0f}"


def fmt_ratio(v):
    return "-" if v is None else f"{v:.2f}x"


def vs_ratio(v):
    """The fair ratio: over successful ops/s where the file has it."""
    return v.get("ok_ratio", v.get("ratio"))


def print_ratios(res, out=sys.stdout):
    rows = [r for r in res["ratios"] if r["workload"] != "search"]  # search: its own table
    cols = [c for c in VERSUS + ENGINE if any(c in r["versus"] for r in rows)]
    print(f"\nRatios: {BASE} successful ops/s over each allocator's (attempts refused for "
          f"want of room left out), same run, medians of "
          f"{res.get('repetitions', '?')} repetitions (>1: genpool faster)", file=out)
    head = f"{'workload':<9} {'params':<30} {'thr':>3} | {BASE + ' ops/s':>16} |"
    head += "".join(f" {'vs ' + c.replace('genpool_', ''):>11}" for c in cols)
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        params = params_key(r["params"])
        line = f"{r['workload']:<9} {params:<30} {r['threads']:>3} | {fmt_rate(r[BASE]):>16} |"
        for c in cols:
            line += f" {fmt_ratio(vs_ratio(r['versus'].get(c, {}))):>11}"
        print(line, file=out)


def print_search(res, out=sys.stdout):
    if not res["search_scaling"]:
        return
    print("\nSearch scaling: ns per attempt (alloc + free), by pool size "
          "(fail: share of attempts that found no room)", file=out)
    pools = sorted({p for e in res["search_scaling"] for p in e["pool_mib"]})
    head = f"{'alloc':<14} {'fill':>4} {'gran':>4} {'thr':>3} |"
    head += "".join(f" {str(p) + ' MiB':>16}" for p in pools) + f" | {'big/small':>9}"
    print(head, file=out)
    print("-" * len(head), file=out)
    for e in res["search_scaling"]:
        line = f"{e['alloc']:<14} {e['fill']:>4} {e['gran']:>4} {e['threads']:>3} |"
        for p in pools:
            ns = e["ns_per_op"].get(str(p))
            fail = e["fail_rate"].get(str(p), 0)
            cell = "-" if ns is None else f"{ns:.0f}ns" + (f" f{fail:.0%}" if fail else "")
            line += f" {cell:>16}"
        line += f" | {fmt_ratio(e.get('cost_ratio_largest_over_smallest')):>9}"
        print(line, file=out)


def print_frag(res, out=sys.stdout):
    if not res["frag"]:
        return
    print("\nFragmentation aging (power-law sizes): failures while the quota had room, "
          "largest free run / free space, p99 alloc latency first -> last quarter", file=out)
    head = (f"{'alloc':<16} {'occ':>3} {'thr':>3} | {'fail':>7} {'largest/free':>12} "
            f"{'occ_end':>7} | {'p99 q1':>8} {'p99 q4':>8}")
    print(head, file=out)
    print("-" * len(head), file=out)
    for e in res["frag"]:
        def num(k, f):
            return "-" if e.get(k) is None else format(e[k], f)
        print(f"{e['alloc']:<16} {e['occ']:>3} {e['threads']:>3} | {num('fail_rate', '7.2%')} "
              f"{num('largest_free_frac', '12.3f')} {num('occupancy_end', '7.3f')} | "
              f"{num('q1_p99_ns', '7.0f')}n {num('q4_p99_ns', '7.0f')}n", file=out)


def fmt_target(e):
    v = e["measured"]
    meas = "not measured" if v is None else f"{v:.3g}"
    goal = "-" if e["goal"] is None else f"{e['cmp']} {e['goal']:g}"
    if e["goal"] is None and v is not None and v >= 1000:
        meas = f"{v:,.0f}"
    verdict = ("ref" if e.get("reference") else "-") if e["pass"] is None else \
        ("pass" if e["pass"] else "miss")
    if e.get("reference") and v is not None and e["goal"] is not None:
        verdict = f"ref ({'meets' if (v >= e['goal'] if e['cmp'] == '>=' else v <= e['goal']) else 'misses'})"
    return meas, goal, verdict


def print_engine(res, out=sys.stdout):
    rows = res.get("engine_bulk") or []
    if rows:
        print("\nEngine bulk (bulk_big: 50 % of 16 GiB, genpool_kfit = kernel-style first fit; "
              "chunks: 1 GiB pool as 1 or 1000 chunks): ns per call, one thread's view", file=out)
        head = (f"{'workload':<9} {'params':<32} {'alloc':<14} {'thr':>3} {'reps':>4} | "
                f"{'ns/op':>9} {'ns/alloc':>9} {'ns/free':>9}")
        print(head, file=out)
        print("-" * len(head), file=out)
        for e in rows:
            def n(k):
                return "-" if e.get(k) is None else f"{e[k]:.0f}"
            print(f"{e['workload']:<9} {params_key(e['params']):<32} {e['alloc']:<14} "
                  f"{e['threads']:>3} {e['repetitions']:>4} | {n('ns_per_op'):>9} "
                  f"{n('ns_per_alloc'):>9} {n('ns_per_free'):>9}", file=out)
    meta = res.get("meta") or []
    if meta:
        print("\nMetadata per chunk (measured: heap and VmData before/after gen_pool_add)",
              file=out)
        sizes = sorted({p for e in meta for p in e["pool_mib"]})
        head = f"{'alloc':<16} |" + "".join(f" {str(p) + ' MiB':>16}" for p in sizes) + \
            f" | {'slope b/gr':>10} {'fixed B':>9}"
        print(head, file=out)
        print("-" * len(head), file=out)
        for e in meta:
            cells = "".join(f" {e['bits_per_granule'].get(str(p), float('nan')):>11.3f} b/gr"
                            for p in sizes)
            sl = e.get("slope_bits_per_granule")
            fx = e.get("fixed_bytes_per_chunk")
            print(f"{e['alloc']:<16} |{cells} | {'-' if sl is None else f'{sl:.3f}':>10} "
                  f"{'-' if fx is None else f'{fx:.0f}':>9}", file=out)


def print_targets(res, out=sys.stdout):
    ts = res.get("targets")
    if not ts:
        return
    print("\nTargets of issues 5, 10, 12, 13, 14 and 15: each a ratio of two "
          "benchmarks of this run, or a measurement", file=out)
    w = max(len(e["what"]) for e in ts)
    head = f"{'target':<{w}} | {'measured':>12} {'goal':>7} | result"
    print(head, file=out)
    print("-" * len(head), file=out)
    for e in ts:
        meas, goal, verdict = fmt_target(e)
        print(f"{e['what']:<{w}} | {meas:>12} {goal:>7} | {verdict}", file=out)


def print_icount(res, out=sys.stdout):
    ir = icount_hot(res.get("icount", {}).get("ir_per_pair"))
    if not ir:
        return
    print("\nInstructions per alloc+free pair, 1 thread, 1 granule (callgrind, bench/icount.py; "
          + str(res["icount"].get("tool")) + ")", file=out)
    for k, v in ir.items():
        print(f"{ICOUNT_ALLOC.get(k, k):<16} {v:8.1f}", file=out)


def print_tables(res, out=sys.stdout):
    print_ratios(res, out)
    print_icount(res, out)
    print_search(res, out)
    print_frag(res, out)
    print_engine(res, out)
    RR.print_table(res.get("replay"), out)
    print_targets(res, out)
    for n in res.get("notes", []):
        print(f"note: {n}", file=out)


def markdown(res):
    """The headline tables as Markdown: what the README's performance section shows."""
    m, g = res.get("machine", {}), res.get("git", {})
    lines = [f"Measured {res.get('date', '?')} on {m.get('cpu_model', '?')} "
             f"({m.get('cpus', '?')} CPUs), commit {g.get('describe', '?')}, "
             f"{res.get('repetitions', '?')} repetitions (medians), by "
             f"`{res.get('command', '').strip()}`.",
             "", "ops/s of genpool's lock-free pool, and its ratio to each other allocator "
             "measured in the same run (> 1: genpool is faster):", ""]
    if any("ok_ratio" in v for r in res["ratios"] for v in r["versus"].values()):
        lines[-2] = lines[-2][:-1] + (" — ratios of successful ops/s, attempts refused for "
                                      "want of room left out:")
    rows = [r for r in res["ratios"] if r["workload"] in ("hot_pair", "xfree", "random", "bulk")]
    cols = [c for c in VERSUS + ENGINE if any(c in r["versus"] for r in rows)]
    lines.append("| workload | params | threads | genpool_lf ops/s | "
                 + " | ".join(f"vs {c}" for c in cols) + " |")
    lines.append("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in cols) + " |")
    for r in rows:
        cells = [fmt_ratio(vs_ratio(r["versus"].get(c, {}))) for c in cols]
        lines.append(f"| {r['workload']} | {params_key(r['params'])} | {r['threads']} | "
                     f"{fmt_rate(r[BASE])} | " + " | ".join(cells) + " |")
    scaling = [e for e in res["search_scaling"] if e["threads"] == 1 and len(e["pool_mib"]) > 1]
    if scaling:
        lines += ["", "Search cost, ns per alloc + free attempt, one thread, by pool size "
                  "(address space; granules held at random; f: share of attempts that failed):",
                  ""]
        pools = sorted({p for e in scaling for p in e["pool_mib"]})
        names = [f"{p} MiB" if p < 1024 else f"{p // 1024} GiB" for p in pools]
        lines.append("| allocator | fill | granules | " + " | ".join(names)
                     + " | largest / smallest |")
        lines.append("| --- | ---: | ---: | " + " | ".join("---:" for _ in pools) + " | ---: |")
        for e in scaling:
            cells = []
            for p in pools:
                ns, fail = e["ns_per_op"].get(str(p)), e["fail_rate"].get(str(p), 0)
                cell = "-" if ns is None else f"{ns:,.0f}"
                cells.append(cell + (f" (f {fail:.0%})" if fail and ns is not None else ""))
            lines.append(f"| {e['alloc']} | {e['fill']} % | {e['gran']} | " + " | ".join(cells)
                         + f" | {fmt_ratio(e.get('cost_ratio_largest_over_smallest'))} |")
    rmd = RR.markdown(res.get("replay"))
    if rmd:
        lines += ["", "Real-trace replay (bench/traces/), ns per op, one thread, recorded order:",
                  "", rmd]
    tmd = targets_markdown(res)
    if tmd:
        lines += ["", "Targets of issue 5 (Scalable engine), each a ratio of two benchmarks of "
                  "this run:", "", tmd]
    return "\n".join(lines) + "\n"


def targets_markdown(res):
    ts = res.get("targets")
    if not ts:
        return ""
    out = ["| target | measured | goal | result | from |", "| --- | ---: | ---: | --- | --- |"]
    for e in ts:
        meas, goal, verdict = fmt_target(e)
        out.append(f"| {e['what']} | {meas} | {goal.replace('<=', '≤').replace('>=', '≥')} | "
                   f"{verdict} | {e['derived']} |")
    return "\n".join(out)


# ---------------------------------------------------------------------------


def merge(args):
    entries, invocations, context = [], [], None
    for i, path in enumerate(args.runs):
        with open(path) as f:
            gb = json.load(f)
        ctx = gb.get("context", {})
        context = context or ctx
        invocations.append({"file": os.path.basename(path), "set": ctx.get("set"),
                            "context": ctx})
        for e in gb.get("benchmarks", []):
            e["invocation"] = i
            entries.append(e)
    rows = summarise(entries)
    notes = []
    for k, v in sorted((context or {}).items()):
        if k.startswith("alloc.") and not str(v).startswith("ok"):
            notes.append(f"{k[6:]} not measured: {v}")
    for r in rows:
        if "error" in r:  # "skipped: ..." is a limit of the machine or a peer, not a bug
            notes.append(f"{r['name']}: {r['error']}")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    reps = max((r["repetitions"] for r in rows), default=0)
    res = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": args.mode,
        "command": args.cmd,
        "repetitions": reps,
        "machine": machine_info(),
        "git": git_info(root),
        "invocations": invocations,
        "results": rows,
        "ratios": ratio_tables(rows),
        "search_scaling": search_scaling(rows),
        "frag": frag_table(rows),
        "engine_bulk": engine_bulk_table(rows),
        "meta": meta_table(rows),
        "notes": notes,
        "gbench": {"context": context, "benchmarks": entries},
    }
    if args.icount:
        with open(args.icount) as f:
            res["icount"] = json.load(f)
    if args.icount_before:
        with open(args.icount_before) as f:
            res["icount_before"] = json.load(f)
    res["targets"] = targets(rows, res["search_scaling"], res["meta"])
    res["targets"] += freerun_targets(rows, res["search_scaling"], res.get("icount"),
                                      res.get("icount_before"))
    if args.replay:
        res["replay"] = RR.load(args.replay)
        res["targets"] += RR.targets(res["replay"], _target)
    res["targets"] += targets_ck(rows, res.get("icount"))
    res = {k: res[k] for k in list(res) if k != "gbench"} | {"gbench": res["gbench"]}
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print_tables(res)
    print(f"\njson: {args.out}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(res))
        print(f"markdown: {args.markdown}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--mode", default="headline")
    ap.add_argument("--cmd", default="")
    ap.add_argument("--print", dest="show")
    ap.add_argument("--markdown")
    ap.add_argument("--replay", help="bench/replay_bench's JSON, merged as 'replay'")
    ap.add_argument("--icount", help="bench/icount.py's JSON: instructions per hot pair")
    ap.add_argument("--icount-before", help="the same for the build before the free-run index")
    ap.add_argument("runs", nargs="*")
    args = ap.parse_args()
    if args.show:
        with open(args.show) as f:
            print_tables(json.load(f))
        return
    if args.markdown == "-":
        if len(args.runs) != 1:
            ap.error("--markdown - takes one results file")
        with open(args.runs[0]) as f:
            sys.stdout.write(markdown(json.load(f)))
        return
    if not args.out or not (args.runs or args.replay):
        ap.error("--out and at least one Google Benchmark JSON file (or --replay) are needed")
    merge(args)


if __name__ == "__main__":
    main()
