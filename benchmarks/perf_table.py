#!/usr/bin/env python3
"""perf_table.py - Markdown tables for docs/performance.md from run_all.sh JSON.

    python3 benchmarks/perf_table.py RUN_DIR [RUN_DIR ...] [--peak-gbps X]

Each RUN_DIR holds the bench_<family>.json files of one run_all.sh run. With
several runs (the machine is shared, so single runs are noisy), each case
shows the best (lowest) of the runs' medians and the spread of the medians
across runs, plus the fastest single repetition of any run (min µs: on a
contended machine the closest to what the op costs alone); GB/s and GFLOP/s
are computed from the best median. With
--peak-gbps / --peak-gflops a "% of peak" column compares GEMMs with the FLOP
peak and every other op with the bandwidth peak; the bandwidth percentage is
given only where the bytes moved exceed --cache-bytes (default 32 MiB, this
machine's L3), since smaller working sets run from cache and beat a DRAM
peak. Prints to stdout.
"""
import argparse
import json
import os
import sys

FAMILIES = ["gemm", "elementwise", "activation", "layernorm", "random", "loss", "optim",
            "reduce", "spectral_norm", "time_embed", "unet"]


def load(run_dir):
    records = {}
    for fam in FAMILIES:
        path = os.path.join(run_dir, "bench_%s.json" % fam)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for r in json.load(f):
                records.setdefault(fam, []).append(r)
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--peak-gbps", type=float, default=0.0)
    ap.add_argument("--peak-gflops", type=float, default=0.0)
    ap.add_argument("--cache-bytes", type=float, default=32 * 2**20)
    args = ap.parse_args()
    runs = [load(d) for d in args.runs]
    if not any(runs):
        sys.exit("perf_table.py: no bench_*.json files in %s" % ", ".join(args.runs))
    for fam in FAMILIES:
        base = runs[0].get(fam)
        if not base:
            continue
        print("#### %s\n" % fam)
        head = "| op | shape | median µs | spread of medians | min µs | GB/s | GFLOP/s |"
        rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
        peaks = args.peak_gbps or args.peak_gflops
        if peaks:
            head += " % of peak |"
            rule += " ---: |"
        print(head)
        print(rule)
        for r in base:
            key = (r["op"], r["shape"])
            same = [x for run in runs for x in run.get(fam, []) if (x["op"], x["shape"]) == key]
            meds = [x["median_us"] for x in same]
            fastest = min(x["min_us"] for x in same)
            valid = all(x["validated"] for x in same)
            best = min(meds)
            spread = "%.0f-%.0f" % (min(meds), max(meds)) if best >= 100 else \
                "%.1f-%.1f" % (min(meds), max(meds))
            gbps = r["bytes"] / best * 1e-3 if r.get("bytes") else None
            gflops = r["flops"] / best * 1e-3 if r.get("flops") else None
            cells = ["`%s`" % r["op"] + ("" if valid else " (NOT VALIDATED)"), r["shape"],
                     "%.1f" % best, spread, "%.1f" % fastest,
                     "%.2f" % gbps if gbps is not None else "-",
                     "%.1f" % gflops if gflops is not None else "-"]
            if peaks:
                pct = "-"
                if r["op"].startswith("gemm"):
                    if gflops is not None and args.peak_gflops:
                        pct = "%.0f%% FLOP" % (100 * gflops / args.peak_gflops)
                elif gbps is not None and args.peak_gbps:
                    if r["bytes"] >= args.cache_bytes:
                        pct = "%.0f%% BW" % (100 * gbps / args.peak_gbps)
                    else:
                        pct = "(cache)"
                cells.append(pct)
            print("| " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
