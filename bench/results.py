#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""results.py - merge Google Benchmark JSON files from bench/gbench into one
results file, derive the ratio tables, and print the headline table.

usage: results.py --out FILE [--markdown MD] [--mode M] [--cmd STR] RUN.json [RUN.json ...]
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

SCHEMA = "genpool-bench/1"
BASE = "genpool_lf"
# The competitors of the headline ratios, in column order.
VERSUS = ["genpool_spin", "genpool_mutex", "memkind", "jemalloc"]
# Every other allocator also gets a ratio in the JSON tables.
OTHERS = ["genpool_lf_bf", "genpool_spin_bf", "glibc", "tcmalloc", "mimalloc"]
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
    """genpool_lf's median ops/s over each other allocator's, per configuration."""
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
        versus = {}
        for other in VERSUS + OTHERS:
            if other in allocs and allocs[other]["median"].get("ops_per_s"):
                v = allocs[other]["median"]["ops_per_s"]
                versus[other] = {"ops_per_s": v, "ratio": base / v}
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
        })
    return sorted(out, key=lambda e: (e["occ"] or 0, e["threads"], e["alloc"]))


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


def print_ratios(res, out=sys.stdout):
    rows = [r for r in res["ratios"] if r["workload"] != "search"]  # search: its own table
    cols = [c for c in VERSUS if any(c in r["versus"] for r in rows)]
    print(f"\nRatios: {BASE} ops/s over each allocator's, same run, medians of "
          f"{res.get('repetitions', '?')} repetitions (>1: genpool faster)", file=out)
    head = f"{'workload':<9} {'params':<30} {'thr':>3} | {BASE + ' ops/s':>16} |"
    head += "".join(f" {'vs ' + c.replace('genpool_', ''):>11}" for c in cols)
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        params = params_key(r["params"])
        line = f"{r['workload']:<9} {params:<30} {r['threads']:>3} | {fmt_rate(r[BASE]):>16} |"
        for c in cols:
            line += f" {fmt_ratio(r['versus'].get(c, {}).get('ratio')):>11}"
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


def print_tables(res, out=sys.stdout):
    print_ratios(res, out)
    print_search(res, out)
    print_frag(res, out)
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
    rows = [r for r in res["ratios"] if r["workload"] in ("hot_pair", "xfree", "random", "bulk")]
    cols = [c for c in VERSUS if any(c in r["versus"] for r in rows)]
    lines.append("| workload | params | threads | genpool_lf ops/s | "
                 + " | ".join(f"vs {c}" for c in cols) + " |")
    lines.append("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in cols) + " |")
    for r in rows:
        cells = [fmt_ratio(r["versus"].get(c, {}).get("ratio")) for c in cols]
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
    return "\n".join(lines) + "\n"


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
        "notes": notes,
        "gbench": {"context": context, "benchmarks": entries},
    }
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
    if not args.out or not args.runs:
        ap.error("--out and at least one Google Benchmark JSON file are needed")
    merge(args)


if __name__ == "__main__":
    main()
