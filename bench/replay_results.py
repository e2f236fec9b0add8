# SPDX-License-Identifier: LGPL-2.1-or-later
"""replay_results.py - the real-trace replay benchmark's part of a results
file (issue 10 part 5): bench/replay_bench's JSON summarised (one row per
trace, allocator and granule), its targets, its text and Markdown tables
and its figure. Used by bench/results.py (merge, print), papers/paper.py
(the paper's replay block and figure) and nothing else.

Targets (each from one run):
  replay-64     geometric mean over the traces of genpool first fit's ns per
                op over glibc's, 64-byte granules: at most 2
  replay-16     the same at 16-byte granules: at most 3
  replay-clean  genpool replays that were not clean (an overlap, a new
                failure, a refused free, a pool not whole at the end): 0
"""
import json
import math

FIRST, GLIBC = "genpool_first", "glibc"
ORDER = ["genpool_first", "genpool_best", "genpool_scalable", "genpool_cache", "glibc",
         "jemalloc"]
GOALS = {64: 2.0, 16: 3.0}


def load(path):
    """The replay section of a results file from replay_bench's JSON."""
    with open(path) as f:
        raw = json.load(f)
    rows = []
    for r in raw.get("runs", []):
        rows.append({k: r.get(k) for k in ("name", "trace", "alloc", "granule", "ops", "failed",
                                           "repetitions", "ns_per_op", "median_ns_per_op",
                                           "clean", "failed_new", "overlaps", "refused_frees",
                                           "whole_at_end", "frag_at_peak", "peak_used_bytes",
                                           "pool_bytes")})
    rep = {"what": raw.get("what"), "allocators": raw.get("allocators", {}),
           "traces": raw.get("traces", []), "runs": rows}
    rep["geomean"] = geomeans(rep)
    return rep


def _median(rep, trace, alloc, gran):
    r = next((x for x in rep["runs"] if x["trace"] == trace and x["alloc"] == alloc
              and x["granule"] == gran), None)
    return None if r is None else r["median_ns_per_op"]


def granules(rep):
    return sorted({r["granule"] for r in rep["runs"]}, reverse=True)


def traces(rep):
    """The traces that were replayed (a --filter may leave some out)."""
    ran = {r["trace"] for r in rep["runs"]}
    return [t["name"] for t in rep["traces"] if t["name"] in ran]


def allocs(rep):
    have = {r["alloc"] for r in rep["runs"]}
    return [a for a in ORDER if a in have] + sorted(have - set(ORDER))


def geomeans(rep):
    """{granule: {alloc: geometric mean ns/op over traces, "ratio:<alloc>": geomean of
    alloc / glibc}} over the traces that have both."""
    out = {}
    for g in granules(rep):
        e = {}
        for a in allocs(rep):
            vals = [_median(rep, t, a, g) for t in traces(rep)]
            vals = [v for v in vals if v]
            if vals and len(vals) == len(traces(rep)):
                e[a] = math.exp(sum(math.log(v) for v in vals) / len(vals))
            ratios = [(_median(rep, t, a, g), _median(rep, t, GLIBC, g)) for t in traces(rep)]
            ratios = [x / y for x, y in ratios if x and y]
            if ratios and len(ratios) == len(traces(rep)):
                e["ratio:" + a] = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
        out[str(g)] = e
    return out


def targets(rep, make):
    """Target rows in results.py's format; @make is results._target."""
    out = []
    for g, goal in sorted(GOALS.items(), reverse=True):
        v = (rep or {}).get("geomean", {}).get(str(g), {}).get("ratio:" + FIRST)
        out.append(make(f"replay-{g}", f"real traces, {g} B granules: geometric mean of "
                        f"{FIRST} ns/op / glibc ns/op", v, goal, "<=",
                        "replay median_ns_per_op per trace, one thread, recorded order"))
    runs = [r for r in (rep or {}).get("runs", []) if r["alloc"].startswith("genpool")]
    bad = sum(1 for r in runs if not r.get("clean")) if runs else None
    out.append(make("replay-clean", "real traces: genpool replays not clean (overlap, new "
                    "failure, refused free, pool not whole at the end)", bad, 0, "<=",
                    "replay clean flags (tools/replay_check.c), every trace, allocator, granule"))
    return out


def _fmt(v):
    return "-" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def table_rows(rep):
    """(trace, granule, [ns/op per alloc], first/glibc) rows, then the geometric means."""
    rows = []
    for g in granules(rep):
        for t in traces(rep):
            vals = [_median(rep, t, a, g) for a in allocs(rep)]
            f, c = _median(rep, t, FIRST, g), _median(rep, t, GLIBC, g)
            rows.append((t, g, vals, f / c if f and c else None))
        gm = rep["geomean"].get(str(g), {})
        rows.append(("geometric mean", g, [gm.get(a) for a in allocs(rep)],
                     gm.get("ratio:" + FIRST)))
    return rows


def print_table(rep, out):
    if not rep or not rep.get("runs"):
        return
    cols = allocs(rep)
    print("\nReal-trace replay (one thread, recorded order): ns per op, medians", file=out)
    head = f"{'trace':<15} {'gran':>5} |" + "".join(f" {a:>16}" for a in cols) + \
        f" | {'first/glibc':>11}"
    print(head, file=out)
    print("-" * len(head), file=out)
    for t, g, vals, r in table_rows(rep):
        print(f"{t:<15} {g:>4}B |" + "".join(f" {_fmt(v):>16}" for v in vals)
              + f" | {'-' if r is None else f'{r:.2f}x':>11}", file=out)
    bad = [r["name"] for r in rep["runs"] if r["alloc"].startswith("genpool")
           and not r.get("clean")]
    print(f"clean: {'every genpool replay' if not bad else 'NOT ' + ', '.join(bad)}", file=out)


def markdown(rep):
    if not rep or not rep.get("runs"):
        return ""
    cols = allocs(rep)
    lines = ["| trace | granule | " + " | ".join(cols) + " | first fit / glibc |",
             "| --- | ---: | " + " | ".join("---:" for _ in cols) + " | ---: |"]
    for t, g, vals, r in table_rows(rep):
        name = f"**{t}**" if t == "geometric mean" else t
        lines.append(f"| {name} | {g} B | " + " | ".join(_fmt(v) for v in vals)
                     + f" | {'-' if r is None else f'{r:.2f}x'} |")
    return "\n".join(lines)


def traces_markdown(rep):
    lines = ["| trace | program | events | allocs | frees | reallocs | threads | peak live |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for t in rep.get("traces", []):
        lines.append(f"| {t['name']} | {t['program']} | {t['events']:,} | {t['allocs']:,} | "
                     f"{t['frees']:,} | {t['reallocs']:,} | {t['threads']} | "
                     f"{t['peak_live_bytes'] / 2**20:.1f} MiB |")
    return "\n".join(lines)


def plot(rep, outdir, plt):
    """replay.png: ns/op per trace and allocator, one panel per granule (log scale)."""
    import os
    if not rep or not rep.get("runs"):
        return []
    gs, cols, ts = granules(rep), allocs(rep), traces(rep)
    fig, axes = plt.subplots(1, len(gs), figsize=(6 * len(gs), 4.5), squeeze=False)
    width = 0.8 / len(cols)
    for ax, g in zip(axes[0], gs):
        for i, a in enumerate(cols):
            vals = [_median(rep, t, a, g) or 0 for t in ts]
            xs = [j + (i - (len(cols) - 1) / 2) * width for j in range(len(ts))]
            ax.bar(xs, vals, width, label=a)
        ax.set_xticks(range(len(ts)))
        ax.set_xticklabels(ts)
        ax.set_yscale("log")
        ax.set_ylabel("ns per op (median, log scale)")
        ax.set_title(f"{g}-byte granules", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Real-trace replay: one thread, recorded order, sizes rounded to the granule",
                 fontsize=11)
    fig.tight_layout()
    path = os.path.join(outdir, "replay.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]
