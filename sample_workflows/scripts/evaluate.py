#!/usr/bin/python3
"""ml_pipeline step 3: read the trained model and write metrics.json."""

import json
import os


def output_dir() -> str:
    base = os.environ.get("SAMPLE_OUTPUT_DIR") or os.path.join(os.environ.get("LONGRUN_WORKFLOW_DIR", "."), "output")
    return os.path.join(base, os.environ.get("LONGRUN_WORKFLOW", "ml_pipeline"))


def main() -> None:
    out = output_dir()
    with open(os.path.join(out, "model.json")) as f:
        model = json.load(f)
    with open(os.path.join(out, "data.json")) as f:
        data = json.load(f)
    mse = sum((model["w"] * x + model["b"] - y) ** 2 for x, y in data) / len(data)
    metrics = {"mse": mse, "steps": model["steps"], "train_links": model["links"]}
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(metrics, f)
    print(f"evaluate: mse {mse:.4f} after {model['steps']} steps in {model['links']} Slurm jobs", flush=True)


if __name__ == "__main__":
    main()
