#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""report.py - PNG plots from a results file written by bench/results.py.

usage: report.py RESULTS.json OUTDIR

Writes into OUTDIR:
  headline.png                 hot pair throughput vs threads (the README figure)
  throughput-<workload>-<params>.png   ops/s vs threads, one line per allocator
  search-cost-t<N>.png         ns per attempt vs pool size (search scaling)
  latency-<workload>-<params>-t<N>.png sampled latency percentiles per allocator
  bulk-phases.png              ns per alloc and per free vs threads (bulk)
  frag.png, frag-drift.png     fragmentation failures, largest free run, p99 drift
Every figure has a title, axis units and a legend; values are medians over
the repetitions, error bars span their min..max.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLES = {
    "hot_pair": "Hot pair: alloc + free of one size, pool half full",
    "search": "Search scaling: alloc + free on a randomly filled pool",
    "align": "Aligned (DMA-style) alloc + free, pool half full",
    "bulk": "Bulk: fill 50 % of an empty pool with 1-granule ranges, then free",
    "xfree": "Cross-thread free: producer allocates, consumer frees",
    "random": "Random sizes 1-64 granules, steady-state live set",
    "frag": "Fragmentation aging, power-law sizes",
}
OP = {
    "hot_pair": "attempts (alloc + free)",
    "search": "attempts (alloc + free)",
    "align": "attempts (aligned alloc + free)",
    "bulk": "calls (alloc or free)",
    "xfree": "calls (alloc or free)",
    "random": "free + alloc pairs",
    "frag": "steps (alloc or free)",
}
ORDER = ["genpool_lf", "genpool_lf_bf", "genpool_spin", "genpool_spin_bf", "genpool_ticket",
         "genpool_mcs", "genpool_mutex",
         "memkind", "glibc", "jemalloc", "tcmalloc", "mimalloc",
         "genpool_sc", "genpool_tc", "genpool_strict", "genpool_kfit"]
STYLE = {
    "genpool_lf": ("tab:red", "-", "o"),
    "genpool_lf_bf": ("tab:red", "--", "s"),
    "genpool_spin": ("tab:blue", "-", "o"),
    "genpool_spin_bf": ("tab:blue", "--", "s"),
    "genpool_ticket": ("navy", "-.", "<"),  # Concurrency Kit's locks (issue 15)
    "genpool_mcs": ("steelblue", "-.", ">"),
    "genpool_mutex": ("tab:purple", "-", "^"),
    "memkind": ("tab:green", "-", "D"),
    "glibc": ("tab:gray", ":", "v"),
    "jemalloc": ("tab:orange", ":", "v"),
    "tcmalloc": ("tab:brown", ":", "v"),
    "mimalloc": ("tab:olive", ":", "v"),
    "genpool_sc": ("tab:pink", "-", "P"),
    "genpool_tc": ("tab:cyan", "-", "*"),
    "genpool_strict": ("tab:red", "-.", "x"),
    "genpool_kfit": ("black", "--", "x"),
}
GRANULE = 4096


def rank(alloc):
    """Sort key: ORDER's place, then the name (a set's order would vary per run)."""
    return (ORDER.index(alloc) if alloc in ORDER else len(ORDER), alloc)


def pkey(params, drop=()):
    return "/".join(f"{k}:{params[k]}" for k in sorted(params) if k not in drop)


def describe(params):
    """Human words for the parameters in a benchmark name."""
    out = []
    for k in sorted(params):
        v = params[k]
        if k == "gran":
            out.append(f"{v} granule{'s' if v != 1 else ''} ({v * GRANULE // 1024} KiB)")
        elif k == "max_gran":
            out.append(f"sizes up to {v} granules")
        elif k in ("fill", "occ"):
            out.append(f"{v} % {'full' if k == 'fill' else 'occupancy'}")
        elif k == "align_kib":
            out.append(f"aligned to {v} KiB" if v < 1024 else f"aligned to {v // 1024} MiB")
        elif k == "pool_mib":
            out.append(f"pool {v} MiB" if v < 1024 else f"pool {v // 1024} GiB")
        else:
            out.append(f"{k} {v}")
    return ", ".join(out)


def footer(fig, res):
    m = res.get("machine", {})
    text = (f"{m.get('cpu_model', '?')}, {m.get('cpus', '?')} CPUs; "
            f"{res.get('repetitions', '?')} repetitions; "
            f"git {res.get('git', {}).get('describe', '?')}; "
            f"{res.get('date', '')}; 4 KiB granules")
    fig.text(0.01, 0.005, text, fontsize=7, color="dimgray")


def save(fig, res, outdir, name):
    footer(fig, res)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ok_rows(res, workload):
    return [r for r in res["results"] if r["workload"] == workload and "error" not in r
            and "ops_per_s" in r["median"]]


def line(ax, alloc, xs, ys, lo=None, hi=None):
    color, ls, marker = STYLE.get(alloc, ("black", "-", "x"))
    if lo is not None:
        err = [[y - l for y, l in zip(ys, lo)], [h - y for y, h in zip(ys, hi)]]
        ax.errorbar(xs, ys, yerr=err, color=color, ls=ls, marker=marker, label=alloc,
                    capsize=2, lw=1.5, ms=4)
    else:
        ax.plot(xs, ys, color=color, ls=ls, marker=marker, label=alloc, lw=1.5, ms=4)


def threads_axis(ax, res, threads):
    cpus = res.get("machine", {}).get("cpus", "?")
    ax.set_xscale("log", base=2)
    ax.set_xticks(threads)
    ax.set_xticklabels([str(t) for t in threads])
    ax.set_xlabel(f"threads (the machine has {cpus} CPUs)")


def throughput_axes(ax, res, rows, metric="ops_per_s"):
    by_alloc = {}
    for r in rows:
        by_alloc.setdefault(r["alloc"], []).append(r)
    threads = sorted({r["threads"] for r in rows})
    for alloc in sorted(by_alloc, key=rank):
        rs = sorted(by_alloc[alloc], key=lambda r: r["threads"])
        rs = [r for r in rs if metric in r["median"]]
        if not rs:
            continue
        line(ax, alloc, [r["threads"] for r in rs], [r["median"][metric] for r in rs],
             [r["min"][metric] for r in rs], [r["max"][metric] for r in rs])
    threads_axis(ax, res, threads)
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)


def plot_throughput(res, outdir):
    paths = []
    for workload in TITLES:
        rows = ok_rows(res, workload)
        if workload == "search":
            continue  # plotted by pool size instead
        groups = {}
        for r in rows:
            groups.setdefault(pkey(r["params"]), []).append(r)
        for key, rs in sorted(groups.items()):
            if len({r["threads"] for r in rs}) < 2:
                continue
            fig, ax = plt.subplots(figsize=(7, 4.5))
            throughput_axes(ax, res, rs)
            ax.set_title(f"{TITLES[workload]}\n{describe(rs[0]['params'])}: throughput vs threads",
                         fontsize=10)
            ax.set_ylabel(f"{OP[workload]} per second, all threads")
            name = f"throughput-{workload}-{key.replace('/', '-').replace(':', '')}.png"
            paths.append(save(fig, res, outdir, name))
    return paths


def plot_headline(res, outdir):
    rows = ok_rows(res, "hot_pair")
    grans = sorted({r["params"].get("gran") for r in rows})
    if not grans:
        return []
    fig, axes = plt.subplots(1, len(grans), figsize=(5.5 * len(grans), 4.5), squeeze=False)
    for ax, g in zip(axes[0], grans):
        throughput_axes(ax, res, [r for r in rows if r["params"].get("gran") == g])
        ax.set_title(f"alloc + free of {g} granule{'s' if g != 1 else ''} "
                     f"({g * GRANULE // 1024} KiB)", fontsize=10)
        ax.set_ylabel("alloc+free pairs per second, all threads")
    fig.suptitle("Hot pair on a half-full 64 MiB pool: genpool lock-free vs spinlock, CK ticket "
                 "and MCS locks, mutex, memkind and malloc", fontsize=11)
    return [save(fig, res, outdir, "headline.png")]


def plot_search(res, outdir):
    rows = [r for r in res["results"] if r["workload"] == "search" and "error" not in r
            and "ns_per_op" in r["median"]]
    paths = []
    for t in sorted({r["threads"] for r in rows}):
        rs = [r for r in rows if r["threads"] == t]
        combos = sorted({(r["params"]["fill"], r["params"]["gran"]) for r in rs})
        cols = min(2, len(combos))
        nrows = (len(combos) + cols - 1) // cols
        fig, axes = plt.subplots(nrows, cols, figsize=(6 * cols, 4 * nrows), squeeze=False)
        for ax, (fill, gran) in zip(axes.flat, combos):
            sub = [r for r in rs if r["params"]["fill"] == fill and r["params"]["gran"] == gran]
            for alloc in sorted({r["alloc"] for r in sub}, key=rank):
                pts = sorted((r for r in sub if r["alloc"] == alloc),
                             key=lambda r: r["params"]["pool_mib"])
                xs = [r["params"]["pool_mib"] / 1024 for r in pts]
                line(ax, alloc, xs, [r["median"]["ns_per_op"] for r in pts],
                     [r["min"]["ns_per_op"] for r in pts], [r["max"]["ns_per_op"] for r in pts])
                for r, x in zip(pts, xs):
                    fail = r["median"].get("fail_rate", 0)
                    if fail > 0.01:
                        ax.annotate(f"{fail:.0%} fail", (x, r["median"]["ns_per_op"]),
                                    fontsize=6, textcoords="offset points", xytext=(3, 3))
            pools = sorted({r["params"]["pool_mib"] for r in sub})
            ax.set_xscale("log", base=2)
            ax.set_xticks([p / 1024 for p in pools])
            ax.set_xticklabels([f"{p} MiB" if p < 1024 else f"{p // 1024} GiB" for p in pools])
            ax.minorticks_off()
            ax.set_yscale("log")
            ax.set_xlabel("pool size (4 KiB granules; genpool: address space only)")
            ax.set_ylabel("ns per attempt (alloc + free)")
            ax.set_title(f"{fill} % full (granules held at random), {gran}-granule requests",
                         fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        for ax in list(axes.flat)[len(combos):]:
            ax.set_visible(False)
        fig.suptitle(f"Search scaling: cost vs pool size, {t} thread{'s' if t != 1 else ''}",
                     fontsize=11)
        paths.append(save(fig, res, outdir, f"search-cost-t{t}.png"))
    return paths


PCTS = [("lat_p50_ns", "p50"), ("lat_p90_ns", "p90"), ("lat_p99_ns", "p99"),
        ("lat_p999_ns", "p99.9")]


def latency_bars(ax, rows, prefix="lat"):
    keys = [(k.replace("lat", prefix, 1), n) for k, n in PCTS]
    rows = [r for r in rows if keys[0][0] in r["median"]]
    rows.sort(key=lambda r: rank(r["alloc"]))
    width = 0.8 / len(keys)
    for i, (k, label) in enumerate(keys):
        xs = [j + (i - (len(keys) - 1) / 2) * width for j in range(len(rows))]
        ax.bar(xs, [max(r["median"].get(k, 0), 1) for r in rows], width, label=label,
               color=plt.cm.viridis(i / len(keys)))
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["alloc"] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("latency per operation, ns (sampled 1 in 64)")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=7, title="percentile", title_fontsize=7)


def plot_latency(res, outdir):
    paths = []
    for workload in TITLES:
        if workload in ("search", "frag"):
            continue  # their latency has figures of its own (search-cost, frag-drift)
        rows = [r for r in ok_rows(res, workload) if "lat_p50_ns" in r["median"]]
        groups = {}
        for r in rows:
            groups.setdefault((pkey(r["params"]), r["threads"]), []).append(r)
        all_threads = sorted({r["threads"] for r in rows})
        # the least and the most contended thread counts of each configuration
        keep = {all_threads[0], all_threads[-1]} if all_threads else set()
        for (key, t), rs in sorted(groups.items()):
            if t not in keep or len(rs) < 2:
                continue
            two = workload in ("xfree", "bulk") and any("free_p50_ns" in r["median"] for r in rs)
            fig, axes = plt.subplots(1, 2 if two else 1, figsize=(12 if two else 7, 4.5),
                                     squeeze=False)
            latency_bars(axes[0][0], rs)
            axes[0][0].set_title("allocations" if two else "one operation", fontsize=9)
            if two:
                latency_bars(axes[0][1], rs, "free")
                axes[0][1].set_title("frees", fontsize=9)
            fig.suptitle(f"{TITLES[workload]}\n{describe(rs[0]['params'])}, {t} "
                         f"thread{'s' if t != 1 else ''}: latency percentiles", fontsize=10)
            name = f"latency-{workload}-{key.replace('/', '-').replace(':', '')}-t{t}.png"
            paths.append(save(fig, res, outdir, name))
    return paths


def plot_bulk(res, outdir):
    rows = [r for r in ok_rows(res, "bulk") if "ns_per_alloc" in r["median"]]
    if len({r["threads"] for r in rows}) < 2:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, metric, what in ((axes[0], "ns_per_alloc", "alloc"), (axes[1], "ns_per_free", "free")):
        throughput_axes(ax, res, rows, metric)
        ax.set_ylabel(f"ns per {what} call, one thread's wall time")
        ax.set_title(f"{what} phase", fontsize=10)
    fig.suptitle(f"{TITLES['bulk']}: cost per call vs threads", fontsize=11)
    return [save(fig, res, outdir, "bulk-phases.png")]


def plot_frag(res, outdir):
    rows = [r for r in res["results"] if r["workload"] == "frag" and "error" not in r]
    if not rows:
        return []
    t = min(r["threads"] for r in rows)
    rows = [r for r in rows if r["threads"] == t]
    occs = sorted({r["params"]["occ"] for r in rows})
    allocs = sorted({r["alloc"] for r in rows}, key=rank)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(allocs)
    for ax, metric, label in ((axes[0], "fail_rate", "allocations refused while the quota "
                               "had room (share)"),
                              (axes[1], "largest_free_frac", "largest free run / all free space")):
        for i, alloc in enumerate(allocs):
            vals = []
            for o in occs:
                r = next((r for r in rows if r["alloc"] == alloc and r["params"]["occ"] == o), None)
                vals.append(r["median"].get(metric, 0) if r else 0)
            xs = [j + (i - (len(allocs) - 1) / 2) * width for j in range(len(occs))]
            ax.bar(xs, vals, width, label=alloc, color=STYLE.get(alloc, ("black",))[0],
                   hatch="//" if alloc.endswith("_bf") else None)
        ax.set_xticks(range(len(occs)))
        ax.set_xticklabels([f"{o} %" for o in occs])
        ax.set_xlabel("target occupancy")
        ax.set_ylabel(label)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    axes[0].set_title("fragmentation failures", fontsize=10)
    axes[1].set_title("free space in one piece, at the end", fontsize=10)
    fig.suptitle(f"{TITLES['frag']} (1-256 granules, alpha 1.5), {t} thread{'s' if t != 1 else ''}",
                 fontsize=11)
    paths = [save(fig, res, outdir, "frag.png")]

    fig, axes = plt.subplots(1, len(occs), figsize=(5 * len(occs), 4.2), squeeze=False)
    for ax, o in zip(axes[0], occs):
        for alloc in allocs:
            r = next((r for r in rows if r["alloc"] == alloc and r["params"]["occ"] == o), None)
            if not r:
                continue
            ys = [r["median"].get(f"q{q}_p99_ns", 0) for q in range(1, 5)]
            line(ax, alloc, [1, 2, 3, 4], ys)
        ax.set_xticks([1, 2, 3, 4])
        ax.set_xticklabels(["1st", "2nd", "3rd", "4th"])
        ax.set_xlabel("quarter of the run (time)")
        ax.set_ylabel("p99 alloc latency, ns")
        ax.set_yscale("log")
        ax.set_title(f"{o} % occupancy", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Fragmentation aging: p99 alloc latency as the pool ages, {t} "
                 f"thread{'s' if t != 1 else ''}", fontsize=11)
    paths.append(save(fig, res, outdir, "frag-drift.png"))
    return paths


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        res = json.load(f)
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for fn in (plot_headline, plot_throughput, plot_search, plot_latency, plot_bulk, plot_frag):
        paths += fn(res, outdir)
    print(f"plots: {len(paths)} PNG files in {outdir}/")


if __name__ == "__main__":
    main()
