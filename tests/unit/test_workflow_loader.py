"""Reading workflow files: the seeds' YAML as written, and every validation error with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.model.units import Duration, MemorySize
from app.workflows.loader import load_workflow, load_workflow_text
from app.workflows.spec import Problem
from app.workflows.values import parse_iso_duration, parse_memory, parse_walltime

DATA = Path(__file__).parent / "data" / "workflows"
BROKEN = DATA / "broken"


def errors(path: Path) -> list[tuple[int | None, str]]:
    result = load_workflow(path, current_user="alice")
    assert result.workflow is None
    return [(p.line, p.message) for p in result.errors]


def test_seed004_complete_example_as_written() -> None:
    result = load_workflow(DATA / "seed004_ml_training.yaml", current_user="alice")
    assert result.errors == []
    wf = result.workflow
    assert wf is not None
    assert wf.name == "ml_training_workflow"
    assert [j.name for j in wf.jobs] == ["preprocess", "train_model", "evaluate"]
    train = wf.job("train_model")
    assert train.depends_on == ("preprocess",)
    assert train.supports_termination is True
    assert train.resources.num_cpus == 8
    assert train.resources.memory == MemorySize.parse("32G")
    assert train.resources.num_gpus == 1
    assert train.resources.runtime == Duration(4 * 3600)
    assert wf.job("preprocess").supports_termination is False
    assert all(j.scheduler == "gpu_scheduler" for j in wf.jobs)  # named by the on_workflow_start action
    sched = wf.schedulers["gpu_scheduler"]
    assert (sched.account, sched.partition, sched.nodes) == ("my_project", "gpu", 1)
    assert sched.walltime == Duration(4 * 3600)
    assert sched.extra == ("--signal=B:TERM@300",)


def test_seed004_unused_fields_are_reported_not_dropped() -> None:
    result = load_workflow(DATA / "seed004_ml_training.yaml", current_user="alice")
    notes = {(p.line, p.message) for p in result.notes}
    assert (2, "user `researcher` is not used: the jobs run as you (alice)") in notes
    assert any(line == 38 and "`scheduler_type` is accepted but not used" in m for line, m in notes)
    assert any(line == 39 and "`num_allocations` is accepted but not used" in m for line, m in notes)
    assert any(line == 5 and "preprocess" in m and "--signal=B:TERM@300 is not given" in m for line, m in notes)
    assert result.workflow is not None and result.workflow.notes == tuple(result.notes)


def test_same_user_gives_no_note() -> None:
    result = load_workflow(DATA / "seed004_ml_training.yaml", current_user="researcher")
    assert not any("user" in p.message and "not used" in p.message for p in result.notes)


def test_seed001_snippets_as_written() -> None:
    result = load_workflow(DATA / "seed001_snippets.yaml", current_user="alice")
    assert result.errors == []
    wf = result.workflow
    assert wf is not None
    job = wf.job("training_job")
    assert job.scheduler == "gpu_scheduler"  # the only scheduler
    assert job.resources.memory == MemorySize.parse("16G")
    assert job.resources.runtime == Duration(7200)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("syntax.yaml", [(5, "YAML syntax error: while parsing a block collection expected <block end>")]),
        (
            "unknown_key.yaml",
            [
                (5, "job a: unknown key `supports_terminaton`; did you mean `supports_termination`?"),
                (7, "job a: resource_requirements: unknown key `num_cpu`; did you mean `num_cpus`?"),
            ],
        ),
        (
            "missing_dep.yaml",
            [
                (
                    8,
                    "job train depends on `preproces`, which is not a job of this workflow; did you mean `preprocess`?",
                ),
            ],
        ),
        ("cycle.yaml", [(5, "dependency cycle: b -> d -> c -> b (each job depends on the next)")]),
        (
            "bad_duration.yaml",
            [
                (6, "job a: resource_requirements: runtime `PT2X` is not an ISO 8601 duration"),
                (9, "scheduler s: walltime `4 hours` is not a walltime"),
            ],
        ),
        ("bad_memory.yaml", [(6, "job a: resource_requirements: memory `16 gigs` is not a memory size")]),
        (
            "undefined_scheduler.yaml",
            [
                (
                    11,
                    "action: scheduler `gpu_scheduler` is not defined in slurm_schedulers; "
                    "did you mean `cpu_scheduler`?",
                ),
            ],
        ),
        ("duplicate_name.yaml", [(7, "job name `a` is used twice (first on line 3)")]),
    ],
)
def test_broken_file_reports_message_and_line(name: str, expected: list[tuple[int, str]]) -> None:
    found = errors(BROKEN / name)
    assert len(found) == len(expected), found
    for (line, message), (want_line, want_message) in zip(found, expected, strict=True):
        assert line == want_line, (line, message)
        assert message.startswith(want_message), message


def test_every_problem_is_reported_at_once() -> None:
    found = errors(BROKEN / "many.yaml")
    assert found == [
        (5, "job a depends on `zzz`, which is not a job of this workflow"),
        (7, "job a: resource_requirements: memory `lots` is not a memory size (examples: 16g, 512m, 1.5G)"),
        (
            8,
            "job a: resource_requirements: runtime `P1M`: years and months have no fixed length; "
            "write days, e.g. P30D (for minutes: PT1M)",
        ),
        (9, "job b has no `command`"),
        (10, "job b: unknown key `comand`; did you mean `command`?"),
    ]


def load_text(text: str) -> list[Problem]:
    return list(load_workflow_text(text, Path("/tmp/x/wf.yaml"), current_user="alice").problems)


def test_duplicate_yaml_key_is_an_error() -> None:
    problems = load_text("name: w\njobs:\n  - name: a\n    command: echo 1\n    command: echo 2\n")
    assert [(p.line, p.message) for p in problems] == [(5, "job: key `command` appears twice (first on line 4)")]


def test_wrong_types_are_errors_with_lines() -> None:
    text = (
        "name: w\njobs:\n  - name: a\n    command: echo 1\n    supports_termination: maybe\n"
        "    resource_requirements:\n      num_cpus: two\n      num_gpus: -1\n"
    )
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert found == [
        (5, "job a: supports_termination must be true or false, not `maybe`"),
        (7, "job a: resource_requirements: num_cpus must be a whole number, not `two`"),
        (8, "job a: resource_requirements: num_gpus must be at least 0, not -1"),
    ]


def test_self_dependency_is_a_cycle() -> None:
    found = [(p.line, p.message) for p in load_text("name: w\njobs:\n  - name: a\n    command: x\n    depends_on: a\n")]
    assert found == [(3, "dependency cycle: a -> a (each job depends on the next)")]


def test_two_schedulers_without_a_choice_is_an_error() -> None:
    text = (
        "name: w\njobs:\n  - name: a\n    command: x\n  - name: b\n    command: y\n    scheduler: s2\n"
        "slurm_schedulers:\n  - name: s1\n  - name: s2\n"
    )
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert len(found) == 1
    assert found[0][0] == 3 and found[0][1].startswith("job a: 2 schedulers are defined and none is chosen")


def test_undefined_job_scheduler() -> None:
    text = "name: w\njobs:\n  - name: a\n    command: x\n    scheduler: gpu\nslurm_schedulers:\n  - name: cpu\n"
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert found == [(3, "job a: scheduler `gpu` is not defined in slurm_schedulers; did you mean `cpu`?")]


def test_dependency_in_extra_is_refused() -> None:
    text = (
        "name: w\njobs:\n  - name: a\n    command: x\n"
        "slurm_schedulers:\n  - name: s\n    extra: --dependency=afterok:1\n"
    )
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert len(found) == 1 and found[0][0] == 7 and "write dependencies as depends_on" in found[0][1]


def test_named_resource_requirements_and_regex_dependencies() -> None:
    text = (
        "name: w\nresource_requirements:\n  - name: small\n    num_cpus: 1\n    memory: 100m\n"
        "jobs:\n  - name: prep\n    command: x\n  - name: sweep_1\n    command: y\n    depends_on: prep\n"
        "  - name: sweep_2\n    command: y\n    depends_on: prep\n    resource_requirements: small\n"
        "  - name: gather\n    command: z\n    depends_on_regexes: ['^sweep_']\n"
    )
    result = load_workflow_text(text, Path("/tmp/x/wf.yaml"), current_user="alice")
    assert result.errors == []
    wf = result.workflow
    assert wf is not None
    assert wf.job("gather").depends_on == ("sweep_1", "sweep_2")
    assert wf.job("sweep_2").resources.memory == MemorySize.parse("100M")
    assert [j.name for j in wf.topological_order()] == ["prep", "sweep_1", "sweep_2", "gather"]
    assert wf.downstream_of({"sweep_1"}) == {"sweep_1", "gather"}


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    missing = load_workflow(tmp_path / "nope.yaml")
    assert missing.errors[0].line is None and missing.errors[0].message.startswith("cannot read the file")
    (tmp_path / "empty.yaml").write_text("")
    assert load_workflow(tmp_path / "empty.yaml").errors[0].message == "the file is empty"
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    assert "must be a mapping" in load_workflow(tmp_path / "list.yaml").errors[0].message


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT2H", 7200),
        ("PT30M", 1800),
        ("PT1H30M", 5400),
        ("P1DT12H", 129600),
        ("PT90S", 90),
        ("PT0.5H", 1800),
        ("P1W", 604800),
        ("pt1m", 60),
        ("PT1.5S", 2),
    ],
)
def test_iso_durations(text: str, seconds: int) -> None:
    assert parse_iso_duration(text) == Duration(seconds)


@pytest.mark.parametrize("text", ["PT", "P", "2H", "PT2X", "P1Y", "PT0S", "PTH"])
def test_bad_iso_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(text)


@pytest.mark.parametrize(
    ("text", "seconds"), [("04:00:00", 14400), ("1-12:00:00", 129600), ("30", 1800), ("05:00", 300), ("2-04", 187200)]
)
def test_walltimes(text: str, seconds: int) -> None:
    assert parse_walltime(text) == Duration(seconds)


@pytest.mark.parametrize(
    ("text", "mib"), [("16g", 16384), ("512m", 512), ("1.5G", 1536), ("32GB", 32768), ("2GiB", 2048), ("1000", 1000)]
)
def test_memory_sizes(text: str, mib: int) -> None:
    assert parse_memory(text).mib == mib


@pytest.mark.parametrize("text", ["16 gigs", "lots", "0", "16gn", "-1g", ""])
def test_bad_memory_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_memory(text)


def test_actions_choose_schedulers_per_job() -> None:
    text = (
        "name: w\njobs:\n  - name: prep\n    command: x\n  - name: train_1\n    command: y\n"
        "  - name: train_2\n    command: y\n"
        "slurm_schedulers:\n  - name: cpu\n  - name: gpu\n"
        "actions:\n  - trigger_type: on_workflow_start\n    action_type: schedule_nodes\n    scheduler: cpu\n"
        "  - trigger_type: on_jobs_ready\n    action_type: schedule_nodes\n    scheduler: gpu\n"
        "    job_name_regexes: ['^train_']\n"
    )
    result = load_workflow_text(text, Path("/tmp/x/wf.yaml"), current_user="alice")
    assert result.errors == []
    wf = result.workflow
    assert wf is not None
    assert {j.name: j.scheduler for j in wf.jobs} == {"prep": "cpu", "train_1": "gpu", "train_2": "gpu"}


def test_action_naming_an_unknown_job() -> None:
    text = (
        "name: w\njobs:\n  - name: train\n    command: y\nslurm_schedulers:\n  - name: gpu\n"
        "actions:\n  - trigger_type: on_jobs_ready\n    action_type: schedule_nodes\n    scheduler: gpu\n"
        "    jobs: [trian]\n"
    )
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert found == [
        (11, "action for scheduler gpu names job `trian`, which is not a job of this workflow; did you mean `train`?")
    ]


def test_progress_fields_of_a_job_become_its_chain_policy(tmp_path: Path) -> None:
    """longrun's own job keys `progress` and `progress_file` (what `longrun submit --progress` and
    `--progress-file` give a single chain), with a parameter substituted into the file name."""
    from app.workflows.run import plan_workflow

    text = (
        "name: w\njobs:\n"
        "  - name: train_{seed}\n    command: python train.py\n    supports_termination: true\n"
        "    progress: 'epoch (?P<done>\\d{1,4}) of (?P<total>\\d+)'\n    parameters:\n      seed: '[1, 2]'\n"
        "  - name: sim_{seed}\n    command: ./sim\n    progress_file: done_{seed}.txt\n"
        "    parameters:\n      seed: '[7]'\n"
    )
    result = load_workflow_text(text, tmp_path / "wf.yaml", current_user="alice")
    assert result.errors == [], result.errors
    assert result.workflow is not None
    plans = {p.job.name: p.policy for p in plan_workflow(result.workflow, tmp_path / "scripts")}
    assert plans["train_1"].progress_regex == r"epoch (?P<done>\d{1,4}) of (?P<total>\d+)"
    assert plans["train_2"].progress_file is None and plans["train_2"].max_restarts is None, "it continues"
    assert plans["sim_7"].progress_file == "done_7.txt" and plans["sim_7"].max_restarts == 0


def test_progress_fields_that_cannot_work_are_errors_with_lines() -> None:
    text = (
        "name: w\njobs:\n  - name: a\n    command: x\n    progress: 'step \\d+'\n"
        "  - name: b\n    command: y\n    progress: 'step (?P<done>\\d+)'\n    progress_file: p.txt\n"
    )
    found = [(p.line, p.message) for p in load_text(text) if p.severity == "error"]
    assert found == [
        (3, "job a: progress needs a group for the units done, "
            "e.g. 'step (?P<done>\\d+)/(?P<total>\\d+)'"),
        (6, "job b: give `progress` (a pattern for the log) or `progress_file`, not both"),
    ]  # fmt: skip
