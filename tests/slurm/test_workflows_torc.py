"""Torc workflows end to end on the real test cluster, as alice: Torc's own diamond file, unchanged
(its four jobs linked only through files), a parameter sweep in JSON5 with parameter_mode zip and
a name with spaces, and a failure handler whose retry runs the recovery script first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.slurm.chain_helpers import events
from tests.slurm.test_workflows import assert_after, decisions, submit, wait_final, wf_dir, write_file

__all__ = ["wf_dir"]  # the fixture, shared with test_workflows.py

EXAMPLES = Path(__file__).parents[1] / "workflows" / "torc_examples"
# Stand-ins for the scripts Torc's diamond example calls (tests/scripts/*.sh in Torc's repository):
# each refuses to run unless its inputs exist, and records which inputs it saw.
STEP = """\
#!/bin/bash
set -e
inputs=(); outputs=()
while [ $# -gt 0 ]; do
  case "$1" in -i) inputs+=("$2"); shift 2;; -o) outputs+=("$2"); shift 2;; *) shift;; esac
done
for f in "${inputs[@]}"; do [ -s "$f" ] || { echo "missing input $f" >&2; exit 3; }; done
sleep 2
for f in "${outputs[@]}"; do printf '{"by": "%s", "from": "%s"}\\n' "$(basename "$0" .sh)" "${inputs[*]}" > "$f"; done
"""


def test_torcs_diamond_file_runs_in_file_order_with_paths_substituted(wf_dir: Path) -> None:
    shutil.copy(EXAMPLES / "diamond_workflow.yaml", wf_dir / "diamond_workflow.yaml")
    (wf_dir / "tests" / "scripts").mkdir(parents=True)
    for name in ("preprocess", "work", "postprocess"):
        write_file(wf_dir / "tests" / "scripts" / f"{name}.sh", STEP)
    write_file(wf_dir / "f1.json", '{"input": true}\n')
    shutil.chown(wf_dir / "diamond_workflow.yaml", "alice", "alice")
    for path in (wf_dir / "tests", wf_dir / "tests" / "scripts"):
        shutil.chown(path, "alice", "alice")
    chains = submit(wf_dir, "diamond_workflow.yaml")
    assert set(chains) == {"preprocess", "work1", "work2", "postprocess"}
    wait_final(wf_dir, "diamond_workflow", timeout=300)
    assert json.loads((wf_dir / "f6.json").read_text()) == {"by": "postprocess", "from": "f4.json f5.json"}
    assert json.loads((wf_dir / "f4.json").read_text()) == {"by": "work", "from": "f2.json"}
    assert_after(wf_dir, chains, "preprocess", "work1")
    assert_after(wf_dir, chains, "preprocess", "work2")
    assert_after(wf_dir, chains, "work1", "postprocess")
    assert_after(wf_dir, chains, "work2", "postprocess")
    assert not (wf_dir / ".longrun").exists()  # the scripts are in alice's registry


ZIP_SWEEP = """\
// A sweep in JSON5: three (model, size) pairs, not nine, then one job that reads all results.
{
  name: "zip sweep",
  parameters: {model: "['tiny','small','large']"},
  jobs: [
    {name: "prepare", command: "mkdir -p out && echo ready > ${files.output.ready}"},
    {
      name: "train_{model}_{size:02d}",
      command: "test -s ${files.input.ready} && echo {model}:{size} > ${files.output.result_{model}}",
      use_parameters: ["model"],
      parameters: {size: "[1, 8, 64]"},
      parameter_mode: "zip",
      resource_requirements: "small",
    },
    {
      name: "collect",
      command: "cat out/tiny.txt out/small.txt out/large.txt > out/all.txt",
      input_file_regexes: ["^result_"],
      resource_requirements: "small",
    },
  ],
  files: [
    {name: "ready", path: "out/ready.txt"},
    {name: "result_{model}", path: "out/{model}.txt", use_parameters: ["model"]},
  ],
  resource_requirements: [{name: "small", num_cpus: 1, memory: "100m", runtime: "PT2M"}],
}
"""


def test_a_zip_sweep_in_json5_runs_the_pairs_in_order(wf_dir: Path) -> None:
    write_file(wf_dir / "sweep.json5", ZIP_SWEEP)
    chains = submit(wf_dir, "sweep.json5")
    trains = sorted(name for name in chains if name.startswith("train_"))
    assert trains == ["train_large_64", "train_small_08", "train_tiny_01"]
    rows = wait_final(wf_dir, "zip sweep", timeout=300)
    assert set(rows) == {"prepare", *trains, "collect"}
    assert (wf_dir / "out" / "all.txt").read_text() == "tiny:1\nsmall:8\nlarge:64\n"
    for name in trains:
        assert_after(wf_dir, chains, "prepare", name)
        assert_after(wf_dir, chains, name, "collect")


RETRY = """\
name: retry demo
failure_handlers:
  - name: fix_then_retry
    rules:
      - exit_codes: [10]
        recovery_script: fix.sh
        max_retries: 2
jobs:
  - name: flaky
    command: test -e fixed.txt || exit 10
    failure_handler: fix_then_retry
  - name: after
    command: cat fixed.txt > after.txt
    depends_on: [flaky]
"""
FIX = 'echo "job $TORC_JOB_NAME exit $TORC_RETURN_CODE attempt $TORC_ATTEMPT_ID" > fixed.txt\n'


def test_a_failure_handler_retries_after_its_recovery_script(wf_dir: Path) -> None:
    write_file(wf_dir / "retry.yaml", RETRY)
    write_file(wf_dir / "fix.sh", FIX)
    (wf_dir / "fix.sh").chmod(0o644)  # Torc's examples call their recovery scripts as bash files
    chains = submit(wf_dir, "retry.yaml")
    wait_final(wf_dir, "retry demo", timeout=300)
    assert decisions(wf_dir, chains["flaky"]) == [
        "continue: retry after exit code 10 (1 of 2)",
        "finished: completed",
    ]
    assert (wf_dir / "after.txt").read_text() == "job flaky exit 10 attempt 2\n"
    assert [e["state"] for e in events(wf_dir, chains["flaky"]) if e["type"] == "observed_end"] == [
        "FAILED",
        "COMPLETED",
    ]
