#!/usr/bin/env python3
"""compare.py - rise's RISE update and extraction against the PyTorch peer on one device.

  python benchmarks/peers/compare.py --build build [--backend cuda] [--out DIR]
        [--sizes 256x256,512x256,256x512,512x512] [--steps 200] [--bench-steps N] [--no-compile]

For each batch x width it runs build/benchmarks/bench_train (rise) and
rise_update_torch.py in eager and torch.compile modes on the same device (cuda when the
backend is cuda, else cpu), with the same observation and action sizes, then prints a table
of steps/s and the ratios rise / eager and rise / compiled (the targets are >= 10x eager and
>= 3x compiled at batch 256 on a GPU). Results go to OUT/peers.json. Needs torch in the
Python that runs it (scripts/setup.sh does not install it; see docs/performance.md)."""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, json_path):
    print("+", " ".join(cmd), file=sys.stderr)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(r.stdout, file=sys.stderr)
        raise SystemExit(f"compare.py: {cmd[0]} exited {r.returncode}")
    with open(json_path) as f:
        return json.load(f)


def value(rows, case):
    for r in rows:
        if r["case"] == case:
            return r["value"]
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--backend", default="cuda", choices=["cpu", "cuda"])
    ap.add_argument("--out", default="runs/peers")
    ap.add_argument("--sizes", default="256x256,512x256,256x512,512x512",
                    help="batch x width pairs")
    ap.add_argument("--steps", type=int, default=200, help="timed steps of the PyTorch peer")
    ap.add_argument("--bench-steps", type=int, default=0,
                    help="timed steps of bench_train (0: its default, 30)")
    ap.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    device = "cuda" if args.backend == "cuda" else "cpu"
    bench = os.path.join(args.build, "benchmarks", "bench_train")
    table = []
    for size in args.sizes.split(","):
        batch, width = (int(x) for x in size.split("x"))
        tag = f"b{batch}_w{width}"
        steps = ["--steps", str(args.bench_steps)] if args.bench_steps > 0 else []
        ours = run_json([bench, "--backend", args.backend, "--batch", str(batch), "--width",
                         str(width), "--json", os.path.join(args.out, f"rise_{tag}.json")] + steps,
                        os.path.join(args.out, f"rise_{tag}.json"))
        obs_dim, act_dim = ours[0]["obs_dim"], ours[0]["act_dim"]
        row = {"batch": batch, "width": width,
               "rise": value(ours, "rise_update_steps_per_s"),
               "rise_extract_1": value(ours, "extract_latency_ms_1_state"),
               "rise_extract_64": value(ours, "extract_latency_ms_64_states")}
        for mode in ["eager"] + ([] if args.no_compile else ["compile"]):
            path = os.path.join(args.out, f"torch_{mode}_{tag}.json")
            peer = run_json([sys.executable, os.path.join(HERE, "rise_update_torch.py"),
                             "--device", device, "--mode", mode, "--batch", str(batch),
                             "--width", str(width), "--obs-dim", str(obs_dim), "--act-dim",
                             str(act_dim), "--steps", str(args.steps), "--json", path]
                            + (["--no-extract"] if mode == "compile" else []), path)
            row[f"torch_{mode}"] = value(peer, "rise_update_steps_per_s")
            if mode == "eager":
                row["torch_extract_1"] = value(peer, "extract_latency_ms_1_state")
                row["torch_extract_64"] = value(peer, "extract_latency_ms_64_states")
        table.append(row)
    print(f"RISE update on {device}: steps/s (higher is better), extraction K=128 x 10 DDIM (ms)")
    print(f"{'batch':>5} {'width':>5} {'rise':>9} {'eager':>9} {'compiled':>9} "
          f"{'x eager':>8} {'x comp':>8} {'ext1 rise/torch ms':>20} {'ext64 rise/torch ms':>21}")
    for r in table:
        comp = r.get("torch_compile", float("nan"))
        print(f"{r['batch']:>5} {r['width']:>5} {r['rise']:>9.1f} {r['torch_eager']:>9.1f} "
              f"{comp:>9.1f} {r['rise'] / r['torch_eager']:>8.2f} {r['rise'] / comp:>8.2f} "
              f"{r['rise_extract_1']:>9.2f}/{r['torch_extract_1']:<10.2f} "
              f"{r['rise_extract_64']:>9.2f}/{r['torch_extract_64']:<11.2f}")
    with open(os.path.join(args.out, "peers.json"), "w") as f:
        json.dump({"device": device, "rows": table}, f, indent=1)


if __name__ == "__main__":
    main()
