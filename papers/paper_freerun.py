# SPDX-License-Identifier: LGPL-2.1-or-later
"""paper_freerun.py - the paper's free-run index section (issue 10): its
targets, the before/after of the same run, the far run and the churn, and
one figure, all generated from a results file by papers/paper.py."""

import os

LF, PREV, KFIT, SC, TC = "genpool_lf", "genpool_lf_prev", "genpool_kfit", "genpool_sc", "genpool_tc"
IDS = ("far-scale", "far-kfit", "fail16", "churn-ff", "churn-sc", "oversub", "chunks-alloc",
       "hot-prev", "hot-prev-ir", "search-prev", "search-prev-ir", "replay-64", "replay-16", "replay-clean")
CHURN = (LF, SC, TC, "genpool_tc16", "genpool_tcsc", "memkind", "jemalloc")


def _fmt_ns(v):
    if v is None:
        return "-"
    return f"{v / 1000:.2f} µs" if v >= 10000 else f"{v:.0f} ns"


def _fmt_rate(v):
    return "-" if v is None else f"{v / 1e6:.2f} M/s"


def _table(head, rows, align):
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _churn(d, alloc, t):
    v = d.med("random", alloc, t, "ok_per_s", max_gran=16)
    return v if v is not None else d.med("random", alloc, t, "ops_per_s", max_gran=16)


def gen_freerun(d, fmt_target):
    """The section's generated text: targets, before/after, far run, churn."""
    ts = [e for e in d.res.get("targets") or [] if e["id"] in IDS]
    if not ts:
        return ""
    rows = []
    for e in ts:
        meas, goal, verdict = fmt_target(e)
        rows.append((e["what"], meas, goal.replace("<=", "≤").replace(">=", "≥"), verdict))
    met = sum(e["pass"] is True for e in ts)
    missed = sum(e["pass"] is False for e in ts)
    parts = [f"{met} of issue 10's targets met, {missed} missed in this run "
             f"({len(ts) - met - missed} not measured).",
             _table(["target", "measured", "goal", "result"], rows, ["---", "---:", "---:", "---"])]
    ba = []
    for what, wl, params in (("1-granule hot pair (64 MiB, half full)", "hot_pair", {"gran": 1}),
                             ("1-granule search, 90 % of 64 MiB", "search",
                              {"pool_mib": 64, "fill": 90, "gran": 1})):
        b = d.med(wl, PREV, 1, "ns_per_op", **params)
        a = d.med(wl, LF, 1, "ns_per_op", **params)
        ba.append((what, _fmt_ns(b), _fmt_ns(a), "-" if not (a and b) else f"{a / b:.2f}"))
    parts.append("Before and after the index, in the same run: the build of the last commit "
                 "before it (scripts/bench builds it and runs these two benchmarks in turns with "
                 "this build). ns per attempt, medians; after / before.")
    parts.append(_table(["benchmark", "before", "after", "after / before"], ba,
                        ["---", "---:", "---:", "---:"]))
    ir_b = (d.res.get("icount_before") or {}).get("ir_per_pair") or {}
    ir_a = (d.res.get("icount") or {}).get("ir_per_pair") or {}
    counted = [f"the {what} takes {ir_b[k]:.0f} instructions before the index and "
               f"{ir_a[k]:.0f} after ({ir_a[k] / ir_b[k]:.2f}x)"
               for k, what in (("lf", "hot pair"), ("search", "search pair"))
               if ir_a.get(k) and ir_b.get(k)]
    if counted:
        parts.append("Counted by callgrind (bench/icount.py, the same pairs on one thread), "
                     + "; ".join(counted) + ": repeatable where the times above drift.")
    far = [(f"{p // 1024} GiB" if p >= 1024 else f"{p} MiB",
            _fmt_ns(d.med("far_run", LF, 1, "ns_per_op", pool_mib=p, gran=32)),
            _fmt_ns(d.med("far_run", KFIT, 1, "ns_per_op", pool_mib=p, gran=32)))
           for p in (64, 1024, 16384)]
    parts.append("The far run: a 32-granule request whose only fitting run is at the end of a "
                 "pool of 31-granule holes (ns per alloc + free, 1 thread; the kernel-style "
                 "linear first fit only at 64 MiB, where it already reads every hole).")
    parts.append(_table(["pool", LF, KFIT], far, ["---", "---:", "---:"]))
    threads = sorted({t for a in CHURN for t in d.threads("random", alloc=a, max_gran=16)})
    churn = [(a,) + tuple(_fmt_rate(_churn(d, a, t)) for t in threads) for a in CHURN
             if any(_churn(d, a, t) for t in threads)]
    if churn:
        parts.append("Random churn of 1..16-granule ranges (2048 live over all threads, 1 GiB "
                     "pool or heap): successful operations per second, all threads.")
        parts.append(_table(["allocator"] + [f"{t} thread{'s' if t > 1 else ''}" for t in threads],
                            churn, ["---"] + ["---:"] * len(threads)))
    parts.append("![The free-run index: far-run and failing-search cost against pool size]"
                 "(figures/freerun.png)")
    return "\n\n".join(parts)


def plot_freerun(d, plt, outdir):
    """Far-run cost and failing 16-granule search cost against pool size."""
    pools = sorted({p for p in d.values("far_run", "pool_mib")})
    if not pools:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    for alloc, style in ((LF, "-o"), (KFIT, "--s")):
        pts = [(p, d.med("far_run", alloc, 1, "ns_per_op", pool_mib=p, gran=32)) for p in pools]
        pts = [(p, v) for p, v in pts if v is not None]
        if pts:
            ax.plot([p / 1024 for p, _ in pts], [v for _, v in pts], style, label=alloc)
    ax.set_title("far run: 32 granules past small holes", fontsize=10)
    ax = axes[1]
    spools = sorted({p for p in d.values("search", "pool_mib")})
    for alloc, style in ((LF, "-o"), (SC, "-^"), ("genpool_spin", ":s")):
        pts = [(p, d.med("search", alloc, 1, "ns_per_op", pool_mib=p, fill=90, gran=16))
               for p in spools]
        pts = [(p, v) for p, v in pts if v is not None]
        if pts:
            ax.plot([p / 1024 for p, _ in pts], [v for _, v in pts], style, label=alloc)
    ax.set_title("16-granule request at 90 % random fill (mostly failing)", fontsize=10)
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("pool size, GiB")
        ax.set_ylabel("ns per alloc + free attempt, 1 thread")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(outdir, "freerun.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]
