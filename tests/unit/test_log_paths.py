"""The log-path resolver against what Slurm really named files (tests/captures/patterns/), and its rules.

filename_patterns.json holds, per case, the sbatch argv, the script, scontrol's StdOut/StdErr while
the job ran, sacct's row, and the files the job created (stdout wrote OUT, stderr ERR). Each case
is resolved as after MinJobAge (no scontrol) and while held (with scontrol), and must name the
very files Slurm created.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.explain.logpaths import JobIdentity, LogPaths, Submission, link_logs, resolve_logs
from app.explain.patterns import PatternValues, expand, scontrol_form
from app.explain.sbatch_options import parse_options, script_directives
from app.explain.scripts import Script
from app.model.chain import ChainSpec, Link
from app.model.states import JobState
from app.registry import Registry
from app.services import Services
from app.slurm.client import SlurmClient
from app.slurm.records import ControllerJob, JobAccounting
from tests.captures import parse_sacct_capture
from tests.events import record

CAPTURE = json.loads(
    (Path(__file__).resolve().parents[1] / "captures" / "patterns" / "filename_patterns.json").read_text()
)
HOST = CAPTURE["node_host_name"]  # %N is the node's host name; lr1 is its Slurm name
CASES = CAPTURE["cases"]


def captured_script(case: dict[str, Any]) -> Any:
    def read(path: str | None) -> Script | None:
        return Script(path, case["script"], script_directives(case["script"])) if path else None

    return read


def submission(case: dict[str, Any]) -> Submission:
    argv = case["argv"]  # ["sbatch", "--parsable", *options, script]
    return Submission(tuple(argv[2:-1]), argv[-1], case["sbatch_cwd"])


def expected(case: dict[str, Any]) -> tuple[str, str]:
    """The created files holding stdout and stderr, by what they contain."""
    out = next(name for name, text in case["files"].items() if "OUT" in text)
    err = next(name for name, text in case["files"].items() if "ERR" in text)
    return out, err


def tasks(case: dict[str, Any]) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(sacct row, scontrol record) per job or array task."""
    by_raw = {b["JobId"]: b for b in case["scontrol_while_held"]}
    return [(row, by_raw[row["JobIDRaw"]]) for row in case["sacct"]]


def controller_of(block: dict[str, str]) -> ControllerJob:
    return ControllerJob(job_id=block["JobId"], name=block["JobName"], user=block["UserId"].split("(")[0],
                         state=JobState.RUNNING, exit_status=None, std_out=block["StdOut"], std_err=block["StdErr"],
                         work_dir=block["WorkDir"], raw=block)  # fmt: skip


def relative(paths: LogPaths, case: dict[str, Any]) -> tuple[str | None, str | None]:
    def rel(path: str | None) -> str | None:
        return None if path is None else os.path.relpath(path, case["sbatch_cwd"])

    out = rel(paths.stdout.path)
    return out, (rel(paths.stderr.path) if paths.stderr else out)


def want(case: dict[str, Any], row: dict[str, str]) -> tuple[str, str]:
    out, err = expected(case)
    if len(case["sacct"]) > 1:  # an array: each task wrote its own file
        token = row["JobID"]
        out = err = next(name for name in case["files"] if token in name)
    return out, err


@pytest.mark.parametrize("name", sorted(CASES))
def test_after_the_controller_forgot_the_job_the_command_line_and_script_name_the_real_files(name: str) -> None:
    case = CASES[name]
    for row, block in tasks(case):
        ident = JobIdentity(row["JobID"], raw_id=block["JobId"] if "_" in row["JobID"] else None, user="alice",
                            name=row["JobName"], node=HOST)  # fmt: skip
        paths = resolve_logs(ident, submission(case), scripts=captured_script(case))
        assert relative(paths, case) == want(case, row), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_while_held_scontrols_path_is_finished_from_the_pattern_that_made_it(name: str) -> None:
    case = CASES[name]
    for row, block in tasks(case):
        ident = JobIdentity.of(row["JobID"], None, controller_of(block))
        ident = JobIdentity(ident.job_id, ident.raw_id, ident.user, ident.name, HOST, ident.work_dir)
        paths = resolve_logs(ident, submission(case), controller_of(block), scripts=captured_script(case))
        assert relative(paths, case) == want(case, row), name
        assert paths.stdout.source == "scontrol"


@pytest.mark.parametrize("name", sorted(CASES))
def test_scontrol_shows_only_A_a_j_u_x_expanded(name: str) -> None:
    case = CASES[name]
    pattern = parse_options(case["argv"][2:-1]).get("output")
    if pattern is None:
        return
    for row, block in tasks(case):
        task = row["JobID"].partition("_")[2] or None
        values = PatternValues(block["JobId"], row["JobID"].partition("_")[0] if task else None, task, "alice",
                               row["JobName"])  # fmt: skip
        assert os.path.join(block["WorkDir"], scontrol_form(pattern, values)) == block["StdOut"]


def test_a_held_job_submitted_by_someone_else_is_finished_from_scontrols_text_alone() -> None:
    """Without the command line (not a longrun chain), the tokens scontrol leaves are expanded here."""
    case = CASES["every_symbol"]
    ((row, block),) = tasks(case)
    ident = JobIdentity.of(row["JobID"], None, controller_of(block))
    ident = JobIdentity(ident.job_id, ident.raw_id, ident.user, ident.name, HOST, ident.work_dir)
    paths = resolve_logs(ident, Submission((), None, block["WorkDir"]), controller_of(block), scripts=lambda _p: None)
    assert relative(paths, case) == expected(case)
    backslash = CASES["backslash"]
    ((row, block),) = tasks(backslash)
    held = resolve_logs(JobIdentity.of(row["JobID"], None, controller_of(block)), None, controller_of(block))
    assert held.stdout.exact is False and held.stdout.problem and "backslash" in held.stdout.problem


def test_percent_N_is_the_host_name_and_taken_on_trust_from_the_node_name() -> None:
    values = PatternValues("7", node="lr1", node_guessed=True)
    found = expand("out-%N-%3N.txt", values)
    assert found.text == "out-lr1-lr1.txt" and found.guessed and "host name" in found.guessed[0]
    before_start = resolve_logs(
        JobIdentity("7", user="alice", work_dir="/w"), Submission(("-o", "x-%N.out"), None, "/s")
    )
    assert before_start.stdout.path is None and "%N" in (before_start.stdout.problem or "")


@pytest.mark.parametrize(
    ("pattern", "result"),
    [
        ("%%", "%"), ("%%j", "%j"), ("%%%j", "%12"), ("a%", "a%"), ("a%4", "a4"), ("%0j", "12"), ("%4j", "0012"),
        ("%11j", "0000000012"), ("%4z", "4z"), ("%z", "%z"), ("%-3j", "%-3j"), ("%s/%J/%n/%t", "batch/12/0/0"),
        ("%5x-%5u", "my job-alice"), ("%a-%A", "4294967294-12"), ("a\\%j", "a%j"), ("%2s", "batch"),
    ],
)  # fmt: skip
def test_each_symbol_as_slurmstepd_writes_it(pattern: str, result: str) -> None:
    assert expand(pattern, PatternValues("12", user="alice", name="my job")).text == result


def test_an_array_tasks_own_id_comes_from_sacct_after_the_controller_forgot_it() -> None:
    case = CASES["array"]
    row = next(r for r in case["sacct"] if r["JobID"] != r["JobIDRaw"])  # the task with its own id
    accounting = next(iter(parse_sacct_capture("sacct_array.txt").values()))
    job = replace(accounting.job, job_id=row["JobID"], job_id_raw=row["JobIDRaw"], name="arr", user="alice",
                  work_dir=case["sbatch_cwd"], node_list="lr1")  # fmt: skip
    ident = JobIdentity.of(row["JobID"], JobAccounting(job, ()), None)
    paths = resolve_logs(ident, submission(case), scripts=captured_script(case))
    assert relative(paths, case) == want(case, row)


def test_an_array_task_without_its_own_id_cannot_expand_percent_j() -> None:
    task = PatternValues(None, array_job_id="40", array_task_id="3")
    assert expand("t-%A_%a-%3a.out", task).text == "t-40_3-003.out"
    missing = expand("t-%j.out", task)
    assert missing.text is None and "array task" in missing.missing[0]


def test_precedence_command_line_then_sbatch_lines_then_default() -> None:
    script = (
        "#!/bin/bash\n#SBATCH -o s-%x-%j.out -J from-script\n#SBATCH --error=s-%j.err\necho hi\n#SBATCH -o late.out\n"
    )

    def read(path: str | None) -> Script:
        return Script(path or "", script, script_directives(script))

    ident = JobIdentity("9", user="alice")
    sub = Submission(("--output=c-%x-%j.out", "--job-name", "cli"), "/home/a/run.sh", "/home/a")
    both = resolve_logs(ident, sub, scripts=read)
    assert (both.stdout.path, both.stdout.source) == ("/home/a/c-cli-9.out", "command line")
    assert both.stderr is not None and (both.stderr.path, both.stderr.source) == ("/home/a/s-9.err", "#SBATCH")
    only_script = resolve_logs(ident, Submission((), "/home/a/run.sh", "/home/a"), scripts=read)
    assert only_script.stdout.path == "/home/a/s-from-script-9.out" and only_script.stdout.source == "#SBATCH"
    named = resolve_logs(JobIdentity("9", user="alice", name="renamed"), Submission((), "/home/a/run.sh", "/w"),
                         scripts=read)  # fmt: skip
    assert named.stdout.path == "/w/s-renamed-9.out"  # the records' name is the one Slurm used
    plain = resolve_logs(ident, Submission(("-D", "sub"), "/home/a/run.sh", "/home/a"), scripts=no_directives)
    assert plain.stdout.path == "/home/a/sub/slurm-9.out" and plain.stderr is None
    assert plain.stdout.source == "Slurm's default" and plain.stdout.exact
    work_dir_wins = resolve_logs(JobIdentity("9", work_dir="/real"), Submission(("-D", "sub"), None, "/home/a"))
    assert work_dir_wins.stdout.path == "/real/slurm-9.out"
    task = resolve_logs(JobIdentity("9_2", user="alice"), Submission((), None, "/h"))
    assert task.stdout.path == "/h/slurm-9_2.out"
    default_name = resolve_logs(ident, Submission(("-o", "%x.log"), "/home/a/train.sh", "/h"), scripts=no_directives)
    assert default_name.stdout.path == "/h/train.sh.log"  # %x without -J: the script's file name


def no_directives(path: str | None) -> Script:
    return Script(path or "", "#!/bin/bash\nrun\n", ())


def test_an_unreadable_script_makes_every_path_a_guess() -> None:
    """Its #SBATCH lines may name other files: say so, and let explain look for files naming the job."""
    paths = resolve_logs(JobIdentity("9", user="u"), Submission(("-o", "o-%j.out"), "/p/run.sh", "/h"),
                         scripts=lambda _p: None)  # fmt: skip
    assert paths.stdout.path == "/h/o-9.out" and not paths.stdout.exact
    assert "/p/run.sh could not be read" in (paths.stdout.problem or "")


def test_stderr_in_the_same_file_is_not_reported_twice() -> None:
    same = resolve_logs(JobIdentity("5", user="u"), Submission(("-o", "/l/%j.log", "-e", "/l/5.log"), None, "/h"))
    assert same.stdout.path == "/l/5.log" and same.stderr is None


def test_without_any_submission_the_default_name_is_only_a_guess() -> None:
    guess = resolve_logs(JobIdentity("5", work_dir="/w"))
    assert guess.stdout.path == "/w/slurm-5.out" and not guess.stdout.exact and "guess" in (guess.stdout.problem or "")
    nowhere = resolve_logs(JobIdentity("5"))
    assert nowhere.stdout.path is None and "working directory" in (nowhere.stdout.problem or "")


def test_link_logs_of_a_chain_and_of_a_chain_rebuilt_from_accounting(tmp_path: Path) -> None:
    script = tmp_path / "train.sh"
    script.write_text("#!/bin/bash\n#SBATCH --output=logs/train-%j.out\n#SBATCH --error=logs/train-%j.err\nrun\n")
    spec = ChainSpec("c1", "train", "alice", str(script), sbatch_options=("--mem=1G",), workdir=str(tmp_path))
    paths = link_logs(spec, Link(2, "77", options=("--mem=2G",)))
    assert paths is not None and paths.stdout.path == f"{tmp_path}/logs/train-77.out"
    assert paths.stderr is not None and paths.stderr.path == f"{tmp_path}/logs/train-77.err"
    assert link_logs(spec, Link(3, None)) is None  # not submitted yet
    rebuilt = ChainSpec("c2", "x", "bob", "?", workdir="/home/bob/run")
    guess = link_logs(rebuilt, Link(1, "80"))
    assert guess is not None and guess.stdout.path == "/home/bob/run/slurm-80.out" and not guess.stdout.exact


def test_the_dashboards_link_view_follows_the_scripts_own_sbatch_output(tmp_path: Path) -> None:
    """The log pane said "waiting for .../slurm-14.out" while the job wrote /tmp/u/train-14.out."""
    script = tmp_path / "train.sh"
    script.write_text(
        f"#!/bin/bash\n#SBATCH --output={tmp_path}/train-%j.out\n#SBATCH --error={tmp_path}/e-%j.err\nx\n"
    )
    reg = Registry(tmp_path / "reg")
    reg.create_chain(ChainSpec("c1", "train", "alice", str(script), sbatch_options=("--time=5",), workdir="/w"))
    record(reg, "c1", "submit_intent", attempt=1)
    record(reg, "c1", "submitted", attempt=1, job_id="14")
    record(reg, "c1", "observed_end", attempt=1, job_id="14", state="FAILED", exit="3:0", elapsed=5)
    (chain,) = Services(viewer="alice", slurm=SlurmClient(), home=tmp_path / "reg").snapshot("alice").chains
    (link,) = chain.links
    assert (link.log_path, link.stderr_path) == (f"{tmp_path}/train-14.out", f"{tmp_path}/e-14.err")
