"""Capture what Slurm really names output files, for every filename pattern (run as root).

    /opt/longrun-tui/venv/bin/python -m tests.captures.patterns.make_patterns

Submits (as alice) one job per case below, each in its own directory, whose script writes
"OUT" to stdout and "ERR" to stderr; records `scontrol show job` while the controller holds
it, sacct's view after the end, and the files the job created with what each holds. Writes
filename_patterns.json next to this file. Slurm 22.05.8, cluster longrun-test, node lr1 whose
host name is this machine's (`scontrol show node lr1`: NodeHostName). About 30 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

from app.slurm.scontrol import parse_show_job_blocks
from tests.captures.endings.scenarios import TERMINAL
from tests.conftest import make_user_dir, run_as, wait_until, write_script

HERE = Path(__file__).parent
BODY = "#!/bin/bash\nsleep 8\necho OUT\necho ERR >&2\n"
DIRECTIVES = (
    "#!/bin/bash\n"
    "# a comment, then a blank line: sbatch reads on\n\n"
    "#SBATCH --output=sb-%x-%j.out   # a trailing comment\n"
    "#SBATCH -e 'sb %j.err' --job-name=from-script\n"
    "  # an indented comment\n"
    "sleep 8\n"
    "#SBATCH --output=never-%j.out\n"
    "echo OUT\necho ERR >&2\n"
)
# case -> (sbatch options before the script, script text, sbatch's working directory below the case's)
CASES: dict[str, tuple[list[str], str, str]] = {
    "every_symbol": (["-J", "my job", "-o", "o-%A-%a-%J-%j-%N-%n-%s-%t-%u-%x-%%-%z-%4z.out",
                      "-e", "e-%4j-%3a-%2n-%5t-%3N-%3u-%3x-%3s.err"], BODY, ""),
    "array": (["-J", "arr", "--array=3-4", "-o", "arr-%A_%a-%j-%4a.out"], BODY, ""),
    "array_default": (["-J", "dflt", "--array=5"], BODY, ""),
    "backslash": (["-J", "esc", "-o", "esc\\-%j.out"], BODY, ""),
    "wide": (["-J", "big", "-o", "w-%12j.out"], BODY, ""),
    "default": ([], BODY, ""),
    "directives": ([], DIRECTIVES, ""),
    "command_line_wins": (["-o", "cl-%x-%j.out", "-J", "cl"], DIRECTIVES, ""),
    "relative_chdir": (["-D", "sub", "-o", "rel-%j.out"], BODY, "sub"),
}  # fmt: skip


def scontrol_blocks(job_id: str) -> list[dict[str, str]]:
    proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=30)
    return parse_show_job_blocks(proc.stdout)


def running_blocks(job_id: str) -> list[dict[str, str]] | None:
    """scontrol's records of the job (each array task split out) once all of them run; else None."""
    blocks = scontrol_blocks(job_id)
    ok = blocks and all(b.get("JobState") == "RUNNING" and "-" not in b.get("ArrayTaskId", "") for b in blocks)
    return blocks if ok else None


def ended(job_id: str) -> bool:
    return all(row["State"].split()[0] in TERMINAL for row in sacct_rows(job_id))


def sacct_rows(job_id: str) -> list[dict[str, str]]:
    fields = ["JobID", "JobIDRaw", "JobName", "User", "NodeList", "WorkDir", "State"]
    argv = ["sacct", "-X", "-n", "-P", "--delimiter=\x1f", "-o", ",".join(fields), "-j", job_id]
    proc = run_as("alice", argv, check=True)
    return [dict(zip(fields, line.split("\x1f"), strict=True)) for line in proc.stdout.splitlines() if line]


def main() -> int:
    root = make_user_dir("alice", "filename-patterns")
    node = subprocess.run(["scontrol", "show", "node", "lr1"], capture_output=True, text=True, timeout=30).stdout
    host = next(part.split("=", 1)[1] for part in node.split() if part.startswith("NodeHostName="))
    submitted: dict[str, tuple[str, Path, list[str], str]] = {}
    for case, (options, text, _sub) in CASES.items():
        directory = root / case
        (directory / "sub").mkdir(parents=True)
        for path in (directory, directory / "sub"):
            subprocess.run(["chown", "alice:alice", str(path)], check=True, timeout=10)
        script = write_script(directory, "job.sh", text, owner="alice")
        argv = ["sbatch", "--parsable", *options, str(script)]
        job_id = run_as("alice", argv, cwd=directory, check=True).stdout.strip().split(";")[0]
        submitted[case] = (job_id, directory, argv, text)
    held: dict[str, list[dict[str, str]]] = {}
    for case, (job_id, *_rest) in submitted.items():
        blocks = wait_until(partial(running_blocks, job_id), 90, 0.5, what=f"{case} running")
        assert isinstance(blocks, list)
        held[case] = blocks
    for case, (job_id, *_rest) in submitted.items():
        wait_until(partial(ended, job_id), 120, 1.0, what=f"{case} ended")
    cases: dict[str, object] = {}
    result = {"slurm": "22.05.8", "node": "lr1", "node_host_name": host, "cases": cases}
    for case, (job_id, directory, argv, text) in submitted.items():
        files = {
            str(p.relative_to(directory)): p.read_text()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != "job.sh"
        }
        keep = ("JobId", "ArrayJobId", "ArrayTaskId", "JobName", "UserId", "BatchHost", "WorkDir", "StdOut", "StdErr")
        cases[case] = {
            "sbatch_cwd": str(directory),
            "argv": argv,
            "script": text,
            "scontrol_while_held": [{k: b[k] for k in keep if k in b} for b in held[case]],
            "sacct": sacct_rows(job_id),
            "files": files,
        }
    (HERE / "filename_patterns.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"captured {len(submitted)} cases under {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
