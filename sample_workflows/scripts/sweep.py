#!/usr/bin/python3
"""param_sweep: `prepare` writes the data, `run --lr X` fits with one learning rate, `gather` picks the best."""

import argparse
import glob
import json
import os
import random
import time


def output_dir() -> str:
    base = os.environ.get("SAMPLE_OUTPUT_DIR") or os.path.join(os.environ.get("LONGRUN_WORKFLOW_DIR", "."), "output")
    path = os.path.join(base, os.environ.get("LONGRUN_WORKFLOW", "param_sweep"))
    os.makedirs(path, exist_ok=True)
    return path


def write_json(path: str, data: object) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)


def prepare(out: str) -> None:
    rng = random.Random(7)
    write_json(
        os.path.join(out, "data.json"), [[x / 20, 2.0 * x / 20 - 0.5 + rng.uniform(-0.05, 0.05)] for x in range(40)]
    )
    print("prepare: data written", flush=True)


def run(out: str, lr: float) -> None:
    with open(os.path.join(out, "data.json")) as f:
        data = json.load(f)
    w = b = 0.0
    for _ in range(200):
        gw = sum(2 * (w * x + b - y) * x for x, y in data) / len(data)
        gb = sum(2 * (w * x + b - y) for x, y in data) / len(data)
        w, b = w - lr * gw, b - lr * gb
    mse = sum((w * x + b - y) * (w * x + b - y) for x, y in data) / len(data)
    if mse != mse or mse > 1e12:  # diverged (nan or huge)
        mse = float("inf")
    time.sleep(float(os.environ.get("SWEEP_SLEEP", "3")))
    write_json(os.path.join(out, f"result_lr{lr}.json"), {"lr": lr, "mse": mse if mse != float("inf") else None})
    print(f"run: lr {lr} -> mse {mse}", flush=True)


def gather(out: str) -> None:
    results = []
    for path in sorted(glob.glob(os.path.join(out, "result_lr*.json"))):
        with open(path) as f:
            results.append(json.load(f))
    finite = [r for r in results if r["mse"] is not None]
    best = min(finite, key=lambda r: r["mse"]) if finite else None
    write_json(os.path.join(out, "summary.json"), {"results": results, "best": best})
    print(f"gather: {len(results)} results, best {best}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "run", "gather"])
    parser.add_argument("--lr", type=float, default=0.1)
    args = parser.parse_args()
    out = output_dir()
    if args.step == "prepare":
        prepare(out)
    elif args.step == "run":
        run(out, args.lr)
    else:
        gather(out)


if __name__ == "__main__":
    main()
