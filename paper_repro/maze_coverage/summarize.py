#!/usr/bin/env python3
"""summarize.py - mean +- std of coverage per method from run.sh's run directories.

usage: summarize.py OUT_DIR METHOD...   (reads OUT_DIR/<method>_s<seed>/eval/coverage.json
and metrics.csv; prints a Markdown table)."""
import csv
import glob
import json
import os
import statistics
import sys


def last_metrics(run):
    path = os.path.join(run, "metrics.csv")
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows[-1] if rows else {}


def fmt(xs):
    if not xs:
        return "-"
    m = statistics.mean(xs)
    s = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{m:.3f} ± {s:.3f}"


def main():
    out, methods = sys.argv[1], sys.argv[2:]
    print("| method | seeds | coverage | coverage outside expert region | success | "
          "candidate spread | Q expert / non-expert |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for m in methods:
        cov, out_cov, succ, spread, qe, qn = [], [], [], [], [], []
        runs = sorted(glob.glob(os.path.join(out, f"{m}_s*")))
        for run in runs:
            path = os.path.join(run, "eval", "coverage.json")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                j = json.load(f)
            cov.append(j["coverage"])
            out_cov.append(j["coverage_outside_expert_region"])
            succ.append(j["success_rate"])
            last = last_metrics(run)
            if last.get("cand_spread"):
                spread.append(float(last["cand_spread"]))
            if last.get("q_expert"):
                qe.append(float(last["q_expert"]))
                qn.append(float(last["q_nonexpert"]))
        q = f"{statistics.mean(qe):.2f} / {statistics.mean(qn):.2f}" if qe else "-"
        print(f"| {m} | {len(cov)} | {fmt(cov)} | {fmt(out_cov)} | {fmt(succ)} | "
              f"{fmt(spread)} | {q} |")


if __name__ == "__main__":
    main()
