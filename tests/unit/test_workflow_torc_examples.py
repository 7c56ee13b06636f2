"""Torc's own workflow files (tests/workflows/torc_examples, from github.com/NREL/torc, see the
README there) through `longrun workflow validate`, unchanged: each is accepted, or refused with
ONE message that names the Torc feature longrun does not implement. Then what the accepted ones
mean: dependencies from files, parameter expansion, actions, retries, as Torc defines them.

Before this work 3 of these 31 files validated (and the diamond, accepted, would have started its
four jobs at once with `${files.input.f1}` left in the command)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.cli import main
from app.workflows.loader import load_workflow
from app.workflows.run import plan_workflow
from app.workflows.spec import Workflow

EXAMPLES = Path(__file__).parents[1] / "workflows" / "torc_examples"
SOURCES = list(csv.DictReader((EXAMPLES / "SOURCES.tsv").open(), delimiter="\t"))
REFUSED = {
    "independent_workflow.json5": "format of the first, Python-based Torc",
    "slurm_diamond_workflow.json5": "format of the first, Python-based Torc",
    "recovery_hook_test.yaml": "Torc's `schedulers` list",
    "timeout_auto_recovery_test.yaml": "Torc's `schedulers` list",
}


def load(name: str) -> Workflow:
    result = load_workflow(EXAMPLES / name, current_user="alice")
    assert result.workflow is not None, [p.render(name) for p in result.errors]
    return result.workflow


def test_every_example_is_listed_with_its_source() -> None:
    files = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".yaml", ".json5", ".json"))
    assert sorted(row["file"] for row in SOURCES) == files
    assert all(row["repository"] == "NREL/torc" and len(row["commit"]) == 40 for row in SOURCES)
    assert len(files) == 31


@pytest.mark.parametrize("name", [row["file"] for row in SOURCES])
def test_validate_accepts_or_names_the_unsupported_feature(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["workflow", "validate", str(EXAMPLES / name)])
    out = capsys.readouterr()
    errors = [line for line in (out.out + out.err).splitlines() if ": error: " in line]
    if name in REFUSED:
        assert code == 1
        assert len(errors) == 1, errors  # one honest message, never a cascade
        assert REFUSED[name] in errors[0] and "not supported by longrun" in errors[0]
    else:
        assert code == 0, errors
        assert errors == []


def test_json5_and_yaml_versions_mean_the_same_workflow() -> None:
    for stem in ("zip_parameter_mode", "hyperparameter_sweep_shared_params", "diamond_workflow"):
        yaml_jobs = {j.name: set(j.depends_on) for j in load(f"{stem}.yaml").jobs}
        json5_jobs = {j.name: set(j.depends_on) for j in load(f"{stem}.json5").jobs}
        if stem == "zip_parameter_mode":  # the YAML version has a setup and an aggregate job more
            yaml_jobs = {n: d - {"setup_environment"} for n, d in yaml_jobs.items() if n.startswith(("train", "eval"))}
        assert yaml_jobs == json5_jobs, stem


def test_the_diamond_linked_only_by_files_runs_in_order_with_paths() -> None:
    wf = load("diamond_workflow.yaml")
    jobs = {j.name: j for j in wf.jobs}
    assert {n: set(j.depends_on) for n, j in jobs.items()} == {
        "preprocess": set(),
        "work1": {"preprocess"},
        "work2": {"preprocess"},
        "postprocess": {"work1", "work2"},
    }
    assert jobs["preprocess"].command == "bash tests/scripts/preprocess.sh -i f1.json -o f2.json -o f3.json"
    assert all("${" not in j.command for j in wf.jobs)
    assert [j.name for j in wf.topological_order()][-1] == "postprocess"


def test_zip_pairs_the_values_and_the_files_link_the_pairs() -> None:
    jobs = {j.name: j for j in load("zip_parameter_mode.yaml").jobs}
    assert sorted(n for n in jobs if n.startswith("train_")) == [
        "train_cifar10_resnet",
        "train_imagenet_transformer",
        "train_mnist_cnn",
    ]
    assert set(jobs["evaluate_mnist_cnn"].depends_on) == {"train_mnist_cnn"}  # by depends_on and by its input file
    assert "--model=cnn" in jobs["train_mnist_cnn"].command and "{" not in jobs["train_mnist_cnn"].command
    assert set(jobs["aggregate_results"].depends_on) == {n for n in jobs if n.startswith("evaluate_")}


def test_shared_parameters_and_float_formats_give_torcs_names() -> None:
    jobs = {j.name: j for j in load("hyperparameter_sweep_shared_params.yaml").jobs}
    train = sorted(n for n in jobs if n.startswith("train_"))
    assert len(train) == 18
    assert "train_lr0.0001_bs16_optadam" in train and "train_lr0.0100_bs64_optsgd" in train
    assert "--learning-rate=0.0001 " in jobs["train_lr0.0001_bs16_optadam"].command  # plain {lr}: Rust's form
    assert set(jobs["aggregate_results"].depends_on) == set(train)  # 18 expansions merged into one job
    assert jobs["aggregate_results"].resources.runtime is not None


def test_ranges_and_zero_padding() -> None:
    names = [j.name for j in load("hundred_jobs_parameterized.yaml").jobs]
    assert names[0] == "job_001" and names[-1] == "job_100" and len(names) == 100
    sweep = {j.name for j in load("simulation_sweep.yaml").jobs}
    assert "simulate_T250_P001" in sweep and "simulate_T400_P076" in sweep and "simulate_T400_P101" not in sweep
    pipeline = {j.name: j for j in load("data_pipeline_parameterized.yaml").jobs}
    assert set(pipeline["report_sales"].depends_on) == {
        f"analyze_sales_{t}" for t in ("summary", "trends", "anomalies")
    }
    assert set(pipeline["executive_summary"].depends_on) == {
        f"report_{d}" for d in ("sales", "inventory", "customers", "products")
    }


def test_regex_barriers_over_thousands_of_expanded_jobs() -> None:
    wf = load("multi_stage_barrier_pattern.yaml")
    jobs = {j.name: j for j in wf.jobs}
    assert len(jobs) == 1000 + 1000 + 100 + 4
    assert len(jobs["barrier_stage1_complete"].depends_on) == 1000
    assert jobs["stage2_analyze_042"].depends_on == ("barrier_stage1_complete",)


def test_names_with_spaces_get_a_safe_slurm_job_name() -> None:
    wf = load("workflow_actions_simple.yaml")
    assert wf.name == "Simple Workflow with Actions" and wf.slug == "Simple_Workflow_with_Actions"
    plans = {p.job.name: p for p in plan_workflow(wf, Path("/tmp/x"))}
    assert plans["setup"].options[0] == "--job-name=Simple_Workflow_with_Actions.setup"


def test_run_commands_actions_become_jobs_around_the_workflow() -> None:
    jobs = {j.name: j for j in load("workflow_actions_simple.yaml").jobs}
    assert jobs["setup"].depends_on == ("on_workflow_start",)
    assert set(jobs["on_workflow_complete"].depends_on) == {"setup", "process", "finalize"}
    assert jobs["on_workflow_start"].command.splitlines()[:2] == [
        "set -e",
        "echo 'Workflow started at $(date)' > workflow_log.txt",
    ]
    ml = {j.name: j for j in load("workflow_actions_ml_training.yaml").jobs}
    assert set(ml["on_jobs_complete"].depends_on) == {f"train_model_{i}" for i in range(1, 9)}
    assert ml["train_model_3"].scheduler == "gpu_cluster"  # the on_jobs_ready schedule_nodes action chose it
    data = {j.name: j for j in load("workflow_actions_data_pipeline.yaml").jobs}
    assert "on_jobs_ready" in data["download_dataset_users"].depends_on  # runs before the jobs it is for


def test_failure_handlers_become_retry_rules() -> None:
    wf = load("failure_handler_demo.yaml")
    plans = {p.job.name: p for p in plan_workflow(wf, Path("/tmp/x"))}
    rules = plans["flaky_job_1"].policy.retry_rules
    assert [(r.exit_codes, r.max_retries) for r in rules] == [((10,), 3), ((11,), 2), ((12,), 3)]
    assert plans["reliable_job"].policy.retry_rules == ()
    assert "examples/scripts/recovery_demo.sh" in plans["flaky_job_1"].plan.script
    simple = {p.job.name: p for p in plan_workflow(load("simple_retry.yaml"), Path("/tmp/x"))}
    assert simple["flaky_job"].policy.retry_rules[0].any_code


def test_slurm_defaults_and_older_key_names() -> None:
    wf = load("resource_monitoring_demo.json5")
    assert wf.sbatch_defaults == ("--account=myproject", "--mail-type=BEGIN,END,FAIL", "--mail-user=user@example.com")
    sample = {j.name: j for j in load("sample_workflow.yaml").jobs}
    assert sample["data_analysis"].depends_on == ("data_validation",)  # blocked_by_job_names
    assert sample["data_analysis"].scheduler == "gpu_scheduler"  # scheduler_name
    assert sample["data_analysis"].resources.num_cpus == 4  # resource_requirements_name
    assert sample["data_validation"].command.startswith("#!/bin/bash\nset -e\nexport PYTHONPATH")
    assert sample["data_validation"].command.endswith("\npython validate_data.py input_data.csv")


def test_dry_run_shows_what_each_job_waits_for_and_its_final_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LONGRUN_HOME", str(tmp_path / "reg"))
    assert main(["workflow", "submit", "--dry-run", str(EXAMPLES / "diamond_workflow.yaml")]) == 0
    out = capsys.readouterr().out
    block = out[out.index("\npostprocess\n") :]
    assert "  after: work1, work2\n" in block
    assert "  command: bash tests/scripts/postprocess.sh -i f4.json -i f5.json -o f6.json\n" in block
    assert f"  script: {tmp_path / 'reg' / 'workflows'}/diamond_workflow-<time>-<random>/postprocess.sh" in block
    assert "\npreprocess\n  after: nothing (starts at once)\n" in out
    assert not (tmp_path / "reg").exists()  # a dry run writes nothing
