#!/usr/bin/env python3
"""summarize.py - results.json and results.md of paper_repro/square_budget/run.sh.

    python3 paper_repro/square_budget/summarize.py OUT --runs idql_s0 rise_s0 ... [--final TAG]
        [--backend B] [--budget S] [--calib-steps N] [--calib-train-s S] [--calib-eval-s S]
        [--calib-rate R] [--planned-steps N]

Reads OUT/<run>/eval_<tag>_<rule>/coverage.json (rules argmax and expectile; tags calib and
the final one) and the step each evaluated checkpoint held (from the eval log), and writes
OUT/results.json (every run, and mean and standard deviation per method and rule) and
OUT/results.md (the table, also printed). Uses only the standard library."""
import argparse
import json
import os
import re
import statistics
import sys

RULES = ["argmax", "expectile"]


def read_eval(out, run, tag, rule):
    """coverage numbers and the checkpoint's step, or None when that evaluation is missing"""
    d = os.path.join(out, run, f"eval_{tag}_{rule}")
    try:
        with open(os.path.join(d, "coverage.json")) as f:
            cov = json.load(f)
    except (OSError, ValueError):
        return None
    step = None
    try:
        with open(d + ".txt") as f:
            m = re.search(r", step (\d+), task", f.read())
            step = int(m.group(1)) if m else None
    except OSError:
        pass
    keep = {k: cov.get(k) for k in ("coverage", "success_rate", "coverage_outside_expert_region",
                                    "episodes", "successes")}
    keep = {k: v for k, v in keep.items() if v is not None}
    keep["step"] = step
    return keep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--runs", nargs="+", required=True)
    ap.add_argument("--final", default="final")
    ap.add_argument("--backend", default="")
    ap.add_argument("--budget", type=float, default=0)
    ap.add_argument("--calib-steps", type=int, default=0)
    ap.add_argument("--calib-train-s", type=float, default=0)
    ap.add_argument("--calib-eval-s", type=float, default=0)
    ap.add_argument("--calib-rate", type=float, default=0)
    ap.add_argument("--planned-steps", type=int, default=0)
    a = ap.parse_args()

    runs, complete = [], True
    for run in a.runs:
        method, seed = run.rsplit("_s", 1)
        row = {"run": run, "method": method, "seed": int(seed)}
        for tag, key in ((a.final, "final"), ("calib", "calibration")):
            row[key] = {rule: read_eval(a.out, run, tag, rule) for rule in RULES}
        complete &= all(row["final"][r] is not None for r in RULES)
        runs.append(row)

    summary = {}
    for method in sorted({r["method"] for r in runs}):
        summary[method] = {}
        for rule in RULES:
            vals = [r["final"][rule]["coverage"] for r in runs
                    if r["method"] == method and r["final"][rule] and "coverage" in r["final"][rule]]
            summary[method][rule] = {
                "coverage_mean": statistics.fmean(vals) if vals else None,
                "coverage_std": statistics.pstdev(vals) if len(vals) > 1 else (0.0 if vals else None),
                "n": len(vals)}
    steps = sorted({r["final"][rule]["step"] for r in runs for rule in RULES
                    if r["final"][rule] and r["final"][rule]["step"] is not None})
    result = {
        "experiment": "square: IDQL vs RISE, coverage on the grid, argmax and expectile extraction",
        "configs": "paper_repro/configs/square_<method>.json", "backend": a.backend,
        "budget_s": a.budget, "planned_steps": a.planned_steps, "steps_reached": steps,
        "calibration": {"steps": a.calib_steps, "train_s_per_run_all_at_once": a.calib_train_s,
                        "slowest_rate_steps_per_s": a.calib_rate, "eval_round_s": a.calib_eval_s},
        "complete": complete, "summary": summary, "runs": runs}
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)

    def fmt(m):
        s = summary[m]
        return " | ".join("-" if s[r]["coverage_mean"] is None else
                          f"{s[r]['coverage_mean']:.2f} ± {s[r]['coverage_std']:.2f} (n={s[r]['n']})"
                          for r in RULES)
    lines = [f"square on {a.backend}, steps reached {steps} (planned {a.planned_steps}), "
             f"budget {a.budget:.0f} s",
             "", "| method | argmax (paper's rule) | expectile |", "| --- | --- | --- |"]
    lines += [f"| {m} | {fmt(m)} |" for m in summary]
    lines += ["", "| run | step | argmax | expectile | at calibration (argmax / expectile) |",
              "| --- | --- | --- | --- | --- |"]
    for r in runs:
        def cov(e):
            return "-" if not e or "coverage" not in e else f"{e['coverage']:.2f}"
        st = next((r["final"][x]["step"] for x in RULES if r["final"][x]), None)
        lines.append(f"| {r['run']} | {st if st is not None else '-'} | {cov(r['final']['argmax'])} | "
                     f"{cov(r['final']['expectile'])} | {cov(r['calibration']['argmax'])} / "
                     f"{cov(r['calibration']['expectile'])} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(text)
    print(text, end="")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
