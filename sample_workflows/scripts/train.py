#!/usr/bin/python3
"""ml_pipeline step 2: gradient descent, one step a second, checkpointed so it survives time-outs.

On SIGTERM (Slurm's warning signal, --signal=B:TERM@20) it saves its checkpoint and exits 75,
which longrun reads as "checkpointed, continue": the next Slurm job resumes from the checkpoint.
Exit 0 means "finished". The checkpoint is written atomically (tmp file + rename) after every step.

Slurm may send the signal at any moment (up to 60 s before the time --signal asks for): the handler
is set first, before the imports, and only takes note; the loop looks between steps, so a checkpoint
always holds whole steps and is never written by two hands at once.
"""

import signal

stop_requested = False


def on_term(signum: int, _frame: object) -> None:
    global stop_requested
    stop_requested = True


signal.signal(signal.SIGTERM, on_term)

import argparse  # noqa: E402  (after the handler: the signal may come while Python starts)
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

CONTINUE = 75  # EX_TEMPFAIL: longrun's "checkpointed, continue"


def output_dir() -> str:
    base = os.environ.get("SAMPLE_OUTPUT_DIR") or os.path.join(os.environ.get("LONGRUN_WORKFLOW_DIR", "."), "output")
    path = os.path.join(base, os.environ.get("LONGRUN_WORKFLOW", "ml_pipeline"))
    os.makedirs(path, exist_ok=True)
    return path


def save(path: str, state: dict) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(path + ".tmp", path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=125)
    args = parser.parse_args()
    out = output_dir()
    checkpoint = os.path.join(out, "train.checkpoint.json")
    with open(os.path.join(out, "data.json")) as f:
        data = json.load(f)
    state = {"step": 0, "w": 0.0, "b": 0.0, "links": 0}
    if os.path.exists(checkpoint):
        with open(checkpoint) as f:
            state = json.load(f)
        print(f"train: resuming at step {state['step']}", flush=True)
    state["links"] += 1
    attempt = os.environ.get("LONGRUN_ATTEMPT", "?")
    while state["step"] < args.steps and not stop_requested:
        grad_w = grad_b = 0.0
        for x, y in data:
            err = state["w"] * x + state["b"] - y
            grad_w += 2 * err * x / len(data)
            grad_b += 2 * err / len(data)
        state["w"] -= 0.01 * grad_w
        state["b"] -= 0.01 * grad_b
        state["step"] += 1
        save(checkpoint, state)
        time.sleep(1)
    if state["step"] < args.steps:
        save(checkpoint, state)
        print(
            f"train: SIGTERM at step {state['step']} (attempt {attempt}): checkpoint saved, exit {CONTINUE}", flush=True
        )
        sys.exit(CONTINUE)
    save(
        os.path.join(out, "model.json"),
        {"w": state["w"], "b": state["b"], "steps": state["step"], "links": state["links"]},
    )
    print(f"train: done after {state['step']} steps in {state['links']} Slurm jobs", flush=True)


if __name__ == "__main__":
    main()
