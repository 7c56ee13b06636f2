#!/usr/bin/python3
"""ml_pipeline step 1: write a small data set (no checkpointing: it takes a few seconds)."""

import json
import os
import random
import time


def output_dir() -> str:
    base = os.environ.get("SAMPLE_OUTPUT_DIR") or os.path.join(os.environ.get("LONGRUN_WORKFLOW_DIR", "."), "output")
    path = os.path.join(base, os.environ.get("LONGRUN_WORKFLOW", "ml_pipeline"))
    os.makedirs(path, exist_ok=True)
    return path


def main() -> None:
    rng = random.Random(42)
    points = [[x / 10, 3.0 * x / 10 + 1.0 + rng.uniform(-0.1, 0.1)] for x in range(100)]
    time.sleep(2)
    path = os.path.join(output_dir(), "data.json")
    with open(path + ".tmp", "w") as f:
        json.dump(points, f)
    os.replace(path + ".tmp", path)
    print(f"preprocess: wrote {len(points)} points to {path}", flush=True)


if __name__ == "__main__":
    main()
