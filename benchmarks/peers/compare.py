#!/usr/bin/env python3
"""compare.py - rise against its PyTorch peers on the same machine, alternately, several rounds.

  python benchmarks/peers/compare.py --build build [--backend cpu|ref|cuda] [--rounds 5]
        [--threads 2] [--cases iql,rise256,rise_maze,extract] [--precision fp32|bf16]
        [--steps 60] [--iql-steps 300] [--no-compile] [--out DIR]

Cases (rise: build/benchmarks/bench_train; peers in this folder):
  iql        IQL at CORL's sizes (MLPs 2 x 256, batch 256): bench_train --algo iql against
             iql_torch.py (eager, and torch.compile unless --no-compile)
  rise256    the RISE update at batch 256, width 256 (LN-ResNet 3 blocks, code MLP 512)
             against rise_update_torch.py
  rise_maze  the same at the maze runs' size (docs/results.md: width 128, 2 blocks, code 128)
  extract    best-of-K extraction (K = 128, 10 DDIM steps) for 1 and 64 states, latency
Every round runs each case's programs one after the other, alternating which goes first,
so a noisy neighbour hurts both sides alike; the table gives per-program medians over the
rounds, the spread, and rise / peer ratios (higher is better for rise; for latencies the
ratio is peer / rise). rise's GEMM-bound limit per case is the step's GEMM time as
bench_train measures it inside the step (its reciprocal in steps/s), and how close rise's
rate is to it.

Device: with --backend cuda every peer runs on the GPU too (torch.compile then in
mode="reduce-overhead": Inductor plus CUDA graphs, the fair match for rise's captured step),
and the RISE update at batch 256 (case rise256) is held to the targets rise set itself
there: >= 10x PyTorch eager and >= 3x torch.compile; the table ends with a line per target
(met or not) and compare.json holds them under "targets". GPU steps take milliseconds:
give --steps and --iql-steps a few hundred there. rise's GEMM columns exist on CPU
backends only (bench_train times the GEMM calls of a host backend).

Runtime policy: every process gets the same OMP_NUM_THREADS (--threads) and
OMP_WAIT_POLICY (--wait-policy, default passive: what the rise binary and every benchmark set
for themselves, host/runtime.c); torch reads both through its OpenMP runtime. The first
line printed names the processor. Results go to OUT/compare.json. Needs torch in the
Python that runs it (not installed by scripts/setup.sh: benchmarks are not tests; see
docs/performance.md)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def median(xs):
    """Median of the values a run produced (a failed run leaves NaN), NaN when none did."""
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def device_name(backend):
    """The GPU's name (nvidia-smi) for a cuda comparison, else None."""
    if backend != "cuda":
        return None
    try:
        r = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=30)
        return r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def run_json(cmd, env):
    """Runs cmd (which writes JSON to the path after --json) and returns the parsed rows."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as t:
        path = t.name
    full = cmd + ["--json", path]
    print("+", " ".join(full), file=sys.stderr, flush=True)
    r = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if r.returncode != 0:
        # one program failing (say torch.compile on a new machine) costs its own numbers
        # only: the others' rows and ratios still come out, and the exit status says so
        print(r.stdout[-4000:], file=sys.stderr)
        print(f"compare.py: FAILED: {' '.join(cmd)} exited {r.returncode}", file=sys.stderr)
        os.unlink(path)
        return None
    with open(path) as f:
        rows = json.load(f)
    os.unlink(path)
    return {row["case"]: row["value"] for row in rows}


def programs(args, case):
    """(name, command, {metric: case key}) for rise and each peer of a case."""
    bench = [os.path.join(args.build, "benchmarks", "bench_train"), "--backend", args.backend,
             "--precision", args.precision]
    py = [sys.executable]
    dev = "cuda" if args.backend == "cuda" else "cpu"
    modes = ["eager"] + ([] if args.no_compile else ["compile"])

    def rise_metrics(algo):
        m = {"steps/s": f"{algo}_update_steps_per_s"}
        if dev == "cpu":  # bench_train wraps a host backend's GEMM only
            m["gemm ms"] = f"{algo}_update_gemm_ms_per_step"
        return m
    if case == "iql":
        out = [("rise", bench + ["--algo", "iql", "--no-extract", "--steps", str(args.iql_steps)],
                rise_metrics("iql"))]
        for m in modes:
            out.append((f"torch {m}", py + [os.path.join(HERE, "iql_torch.py"), "--mode", m,
                                            "--steps", str(args.iql_steps), "--device", dev],
                        {"steps/s": "iql_update_steps_per_s"}))
        return out
    if case in ("rise256", "rise_maze"):
        size = ["--batch", "256", "--width", "256", "--depth", "3", "--code-width", "512"] \
            if case == "rise256" else \
            ["--batch", "256", "--width", "128", "--depth", "2", "--code-width", "128"]
        peer_size = ["--batch", "256", "--width", size[3], "--blocks", size[5], "--code-width",
                     size[7], "--obs-dim", "6", "--act-dim", "2", "--device", dev]
        out = [("rise", bench + ["--algo", "rise", "--no-extract", "--steps", str(args.steps)]
                + size, rise_metrics("rise"))]
        for m in modes:
            out.append((f"torch {m}", py + [os.path.join(HERE, "rise_update_torch.py"), "--mode",
                                            m, "--no-extract", "--steps", str(args.steps)]
                        + peer_size, {"steps/s": "rise_update_steps_per_s"}))
        return out
    if case == "extract":
        return [("rise", bench + ["--algo", "rise", "--steps", "1"],
                 {"ms 1 state": "extract_latency_ms_1_state",
                  "ms 64 states": "extract_latency_ms_64_states"}),
                ("torch eager", py + [os.path.join(HERE, "rise_update_torch.py"), "--mode", "eager",
                                      "--steps", "2", "--obs-dim", "6", "--act-dim", "2",
                                      "--device", dev],
                 {"ms 1 state": "extract_latency_ms_1_state",
                  "ms 64 states": "extract_latency_ms_64_states"})]
    raise SystemExit(f"compare.py: unknown case '{case}'")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--backend", default="cpu", choices=["cpu", "ref", "cuda"])
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--wait-policy", default="passive", choices=["passive", "active"])
    ap.add_argument("--cases", default="iql,rise256,rise_maze,extract")
    ap.add_argument("--steps", type=int, default=60, help="timed RISE steps per run")
    ap.add_argument("--iql-steps", type=int, default=300, help="timed IQL steps per run")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    ap.add_argument("--out", default="runs/peers")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OMP_WAIT_POLICY=args.wait_policy)
    cases = args.cases.split(",")
    plan = {c: programs(args, c) for c in cases}
    samples = {c: {name: {k: [] for k in metrics} for name, _, metrics in plan[c]} for c in cases}
    failed = []
    for r in range(args.rounds):
        for c in cases:
            order = plan[c] if r % 2 == 0 else list(reversed(plan[c]))
            for name, cmd, metrics in order:
                got = run_json(cmd, env)
                if got is None:
                    failed.append(f"round {r + 1} {c} {name}")
                    got = {}
                for k, key in metrics.items():
                    samples[c][name][k].append(got.get(key, float("nan")))
                    print(f"round {r + 1} {c} {name} {k}: {samples[c][name][k][-1]:.3f}",
                          file=sys.stderr, flush=True)
        with open(os.path.join(args.out, "compare_partial.json"), "w") as f:
            json.dump({"rounds_done": r + 1, "samples": samples}, f, indent=1)
    gpu = device_name(args.backend)
    print(f"\n{cpu_model()}{f'; GPU {gpu}' if gpu else ''}; {args.threads} threads, "
          f"OMP_WAIT_POLICY={args.wait_policy}, "
          f"backend {args.backend}, precision {args.precision}; medians of {args.rounds} "
          f"alternating rounds")
    print(f"{'case':<10} {'program':<14} {'metric':<13} {'median':>10} {'min..max':>21} "
          f"{'rise/peer':>10}")
    table = []
    for c in cases:
        rise = samples[c]["rise"]
        for name, _, metrics in plan[c]:
            for k in metrics:
                xs = samples[c][name][k]
                med = median(xs)
                ratio = ""
                if name != "rise" and k in rise:
                    rm = median(rise[k])
                    ratio = f"{(rm / med if k == 'steps/s' else med / rm):.2f}x"
                ok = [x for x in xs if x == x] or [float("nan")]
                print(f"{c:<10} {name:<14} {k:<13} {med:>10.2f} {min(ok):>10.2f}..{max(ok):<10.2f}"
                      f" {ratio:>10}")
                table.append({"case": c, "program": name, "metric": k, "median": med,
                              "min": min(ok), "max": max(ok), "samples": xs})
        if "gemm ms" in rise:
            limit = 1e3 / median(rise["gemm ms"])
            sps = median(rise["steps/s"])
            print(f"{c:<10} {'rise':<14} {'GEMM-bound':<13} {limit:>10.2f} steps/s: rise runs at "
                  f"{100 * sps / limit:.0f}% of it")
    targets = []
    if args.backend == "cuda" and "rise256" in cases:
        rise_sps = median(samples["rise256"]["rise"]["steps/s"])
        for peer, want in (("torch eager", 10.0), ("torch compile", 3.0)):
            if peer not in samples["rise256"]:
                continue
            ratio = rise_sps / median(samples["rise256"][peer]["steps/s"])
            targets.append({"case": "rise256", "peer": peer, "ratio": ratio, "target": want,
                            "met": bool(ratio >= want)})
            print(f"target rise256 rise / {peer}: {ratio:.2f}x, target >= {want:g}x: "
                  f"{'met' if ratio >= want else 'NOT met'}")
    with open(os.path.join(args.out, "compare.json"), "w") as f:
        json.dump({"cpu": cpu_model(), "device": device_name(args.backend),
                   "threads": args.threads, "wait_policy": args.wait_policy,
                   "backend": args.backend, "precision": args.precision, "rounds": args.rounds,
                   "steps": args.steps, "rows": table, "targets": targets, "failed": failed},
                  f, indent=1)
    if failed:
        raise SystemExit(f"compare.py: {len(failed)} program run(s) failed: {'; '.join(failed)}")


if __name__ == "__main__":
    main()
