"""Each item of issue 14 with Torc-style files written from Torc's workflow-spec reference, plus the
caps of issue 16.9. Every test here fails on the code before this work (main at beaabd8): the
keys were unknown, null was "empty", JSON5 was read as YAML, names with spaces were refused."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from app.workflows import torc_keys
from app.workflows.loader import load_workflow, load_workflow_text
from app.workflows.run import plan_workflow
from app.workflows.source import MAX_BYTES
from app.workflows.spec import LoadResult, Workflow

WF = Path("/tmp/wf/wf.yaml")


def read(text: str, where: Path = WF) -> LoadResult:
    return load_workflow_text(text, where, current_user="alice")


def ok(text: str, where: Path = WF) -> Workflow:
    result = read(text, where)
    assert result.workflow is not None, [p.render(where.name) for p in result.errors]
    return result.workflow


def errors(text: str, where: Path = WF) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in read(text, where).errors]


def jobs(text: str, where: Path = WF) -> dict[str, object]:
    return {j.name: j for j in ok(text, where).jobs}


def test_null_means_not_set() -> None:
    wf = ok(
        "name: w\njobs:\n  - name: a\n    command: echo\n    invocation_script: null\n    depends_on: null\n"
        "    supports_termination: ~\nslurm_schedulers:\n  - name: s\n    account: x\n    gres: null\n"
    )
    assert wf.jobs[0].command == "echo" and wf.jobs[0].depends_on == () and wf.schedulers["s"].gres is None


@pytest.mark.parametrize("trigger", torc_keys.TRIGGERS)
def test_every_trigger_is_accepted(trigger: str) -> None:
    names = "" if trigger.startswith("on_workflow") else "    jobs: [a]\n"
    wf = ok(
        "name: w\njobs:\n  - name: a\n    command: echo a\nslurm_schedulers:\n  - name: s\n    account: x\n"
        f"actions:\n  - trigger_type: {trigger}\n    action_type: run_commands\n    commands: [echo hi]\n{names}"
        f"  - trigger_type: {trigger}\n    action_type: schedule_nodes\n    scheduler: s\n{names}"
    )
    assert [j.name for j in wf.jobs if j.action] == [trigger]
    assert wf.job(trigger).command == "set -e\necho hi"


def test_worker_triggers_are_accepted_but_not_used() -> None:
    result = read("name: w\njobs:\n  - {name: a, command: echo}\nactions:\n"
                  "  - {trigger_type: on_worker_start, action_type: run_commands, commands: [x]}\n")  # fmt: skip
    assert result.workflow is not None and any("on_worker_start" in p.message for p in result.notes)


def test_workflow_and_job_names_with_spaces_and_slug_collisions() -> None:
    wf = ok("name: My Flow (v2)\njobs:\n  - {name: step one, command: echo}\n  - {name: step_one, command: echo}\n")
    assert wf.slug == "My_Flow_v2"
    slugs = [j.slug for j in wf.jobs]
    assert slugs[0] == "step_one" and slugs[1].startswith("step_one-") and len(set(slugs)) == 2
    assert plan_workflow(wf, Path("/x"))[0].options[0] == "--job-name=My_Flow_v2.step_one"


DIAMOND = """\
name: files_diamond
files:
  - {name: raw, path: data/raw.txt}
  - {name: left, path: data/left.txt}
  - {name: right, path: "data/right {i}.txt"}
  - {name: both, path: data/both.txt}
user_data:
  - {name: meta, data: {x: 1}}
jobs:
  - name: split
    command: cat ${files.input.raw} > ${files.output.left}
    output_files: [right]
    output_user_data: [meta]
  - name: l
    command: wc ${files.input.left}
    output_files: [both]
  - name: r
    command: echo
    input_file_regexes: ["^ri"]
    input_user_data: [meta]
  - name: join
    command: cat ${files.input.both}
    input_files: [right]
"""


def test_files_define_dependencies_and_become_paths() -> None:
    found = {j.name: j for j in ok(DIAMOND).jobs}
    assert {n: set(j.depends_on) for n, j in found.items()} == {
        "split": set(), "l": {"split"}, "r": {"split"}, "join": {"l", "split"},
    }  # fmt: skip
    assert found["split"].command == "cat data/raw.txt > data/left.txt"
    assert found["join"].command == "cat data/both.txt"


def test_file_errors_name_the_file() -> None:
    bad = DIAMOND.replace("${files.input.both}", "${files.input.bth}").replace(
        "input_files: [right]", "input_files: [rite]"
    )
    messages = [m for _line, m in errors(bad)]
    assert any("`${files.input.bth}` names no file" in m for m in messages)
    assert any("input_files names `rite`, which is not in `files`" in m for m in messages)


def test_user_data_references_in_commands_are_refused_once() -> None:
    text = "name: w\nuser_data:\n  - {name: m}\njobs:\n  - name: a_{i}\n    command: use ${user_data.input.m}\n" \
           "    parameters: {i: '1:50'}\n"  # fmt: skip
    found = errors(text)
    assert (
        len(found) == 1 and "Torc's `${user_data.input.m}`" in found[0][1] and "not supported by longrun" in found[0][1]
    )


def test_parameter_syntax_formats_and_modes() -> None:
    found = jobs(
        "name: w\njobs:\n"
        "  - name: t_{i:03d}_{lr:.2f}\n    command: run --i {i} --lr {lr} --o {opt}\n"
        "    parameters: {i: '1:3', lr: '0:1:0.5', opt: \"['adam']\"}\n"
        "  - name: z_{a}_{b}\n    command: echo {a}{b}\n"
        "    parameters: {a: '[1,2]', b: [x, y]}\n    parameter_mode: zip\n"
        "  - name: after\n    command: echo\n    depends_on_regexes: ['^z_']\n"
    )
    assert "t_001_0.00" in found and "t_003_1.00" in found and len([n for n in found if n.startswith("t_")]) == 9
    assert found["t_002_0.50"].command == "run --i 2 --lr 0.5 --o adam"  # type: ignore[attr-defined]
    assert {"z_1_x", "z_2_y"} <= set(found) and "z_1_y" not in found
    assert set(found["after"].depends_on) == {"z_1_x", "z_2_y"}  # type: ignore[attr-defined]


def test_shared_parameters_need_use_parameters() -> None:
    found = jobs("name: w\nparameters: {n: '1:2'}\njobs:\n  - name: a_{n}\n    command: echo\n    use_parameters: [n]\n"
                 "  - name: plain\n    command: echo {n}\n")  # fmt: skip
    assert set(found) == {"a_1", "a_2", "plain"}
    assert (
        "use_parameters names `m`, which is not a workflow parameter"
        in errors("name: w\njobs:\n  - {name: a, command: x, use_parameters: [m]}\n")[0][1]
    )


def test_parameter_errors_point_at_the_template() -> None:
    text = "name: w\njobs:\n  - name: a_{i}\n    command: echo\n    parameters:\n      i: '1:x'\n"
    assert errors(text) == [
        (6, "job a_{i}: parameters: parameter `i`: `1:x` is not a range of numbers (e.g. 1:100, 0:100:10, 0.0:1.0:0.1)")
    ]
    zip_bad = (
        "name: w\njobs:\n  - name: a_{i}{j}\n    command: e\n"
        "    parameters: {i: '1:2', j: '1:3'}\n    parameter_mode: zip\n"
    )
    assert "parameter_mode zip needs the same number" in errors(zip_bad)[0][1]
    huge = "name: w\njobs:\n  - name: a_{i}_{j}\n    command: e\n    parameters: {i: '1:1000', j: '1:1000'}\n"
    assert "at most 10,000" in errors(huge)[0][1]
    differ = "name: w\njobs:\n  - name: same\n    command: echo {i}\n    parameters: {i: '1:2'}\n"
    assert "several jobs named `same` with different command" in errors(differ)[0][1]


def test_named_and_inline_resource_requirements() -> None:
    wf = ok("name: w\nresource_requirements:\n"
            "  - {name: gpu_training, num_cpus: 8, memory: 32g, num_gpus: 1, runtime: PT2H}\n"
            "jobs:\n  - {name: a, command: x, resource_requirements: gpu_training}\n"
            "  - name: b\n    command: x\n    resource_requirements: {num_cpus: 2, memory: 1g}\n")  # fmt: skip
    options = {p.job.name: p.options for p in plan_workflow(wf, Path("/x"))}
    assert "--cpus-per-task=8" in options["a"] and "--gres=gpu:1" in options["a"] and "--time=120" in options["a"]
    assert "--cpus-per-task=2" in options["b"]
    assert (
        "did you mean `gpu_training`"
        in errors(
            "name: w\nresource_requirements:\n  - {name: gpu_training, num_cpus: 1, memory: 1g}\n"
            "jobs:\n  - {name: a, command: x, resource_requirements: gpu_trainin}\n"
        )[0][1]
    )


def test_failure_handler_rules_and_their_errors() -> None:
    wf = ok("name: w\nfailure_handlers:\n  - name: h\n    rules:\n"
            "      - {exit_codes: [10, 11], recovery_script: fix.sh, max_retries: 2}\n"
            "      - {match_all_exit_codes: true}\n"
            "jobs:\n  - {name: a, command: run, failure_handler: h}\n")  # fmt: skip
    policy = plan_workflow(wf, Path("/x"))[0].policy
    assert [(r.exit_codes, r.any_code, r.max_retries) for r in policy.retry_rules] == [
        ((10, 11), False, 2),
        ((), True, 3),
    ]
    assert policy.max_restarts == 0  # time-outs still stop a job without supports_termination
    assert (
        "`hh` is not defined in failure_handlers; did you mean `h`?"
        in errors(
            "name: w\nfailure_handlers:\n  - {name: h, rules: [{exit_codes: [1]}]}\n"
            "jobs:\n  - {name: a, command: r, failure_handler: hh}\n"
        )[0][1]
    )


def test_slurm_defaults_apply_and_managed_options_are_refused() -> None:
    wf = ok(
        "name: w\nslurm_defaults: {qos: high, mail-type: 'END,FAIL', account: proj}\njobs:\n  - {name: a, command: x}\n"
    )
    assert plan_workflow(wf, Path("/x"))[0].options[1:4] == ("--qos=high", "--mail-type=END,FAIL", "--account=proj")
    assert (
        "`mem` is managed per job"
        in errors("name: w\nslurm_defaults: {mem: 4g}\njobs:\n  - {name: a, command: x}\n")[0][1]
    )


def test_no_real_torc_key_is_ever_an_unknown_key() -> None:
    kinds = [
        ("{key}: null\njobs:\n  - {{name: a, command: x}}\n", torc_keys.WORKFLOW),
        ("jobs:\n  - {{name: a, command: x, {key}: null}}\n", torc_keys.JOB),
        ("jobs:\n  - {{name: a, command: x}}\nfiles:\n  - {{name: f, path: p, {key}: null}}\n", torc_keys.FILE),
        ("jobs:\n  - {{name: a, command: x}}\nslurm_schedulers:\n  - {{name: s, {key}: null}}\n", torc_keys.SCHEDULER),
    ]
    for template, keys in kinds:
        for key in (*keys.used, *keys.not_used, *keys.unsupported, *keys.aliases):
            messages = [m for _l, m in errors("name: w\n" + template.format(key=key))]
            assert not any("unknown key" in m for m in messages), (key, messages)


def test_resource_monitor_and_execution_config_are_noted() -> None:
    result = read(
        "name: w\nresource_monitor: {enabled: true}\nexecution_config: {mode: direct}\n"
        "jobs:\n  - {name: a, command: x}\n"
    )
    notes = [p.message for p in result.notes]
    assert result.workflow is not None and any("`resource_monitor` is accepted but not used" in n for n in notes)
    assert any("`execution_config` is accepted but not used" in n for n in notes)


def test_unsupported_torc_features_get_one_honest_message() -> None:
    found = errors("name: w\njobs:\n  - name: a_{i}\n    command: x\n    parameters_file: p.csv\n")
    assert found == [(5, "job a_{i}: Torc's `parameters_file` is not supported by longrun: write the parameter values "
                         "as `parameters` (ranges or lists) instead of a table")]  # fmt: skip


JSON5_TEXT = """\
// a Torc workflow in JSON5
{
  name: "j5",
  jobs: [
    {name: "a", command: "echo a",},
    {name: "b", command: "echo b", depends_on: ["a"], supports_termination: true},
    {name: "c", command: "echo c", depends_on: ["zz"], num_cpus: 2},
  ],
}
"""


def test_json5_problems_have_the_same_line_numbers() -> None:
    where = Path("/tmp/wf/wf.json5")
    assert set(errors(JSON5_TEXT, where)) == {
        (7, "job c depends on `zz`, which is not a job of this workflow"),
        (7, "job c: unknown key `num_cpus` (known keys: " + ", ".join(torc_keys.JOB.used) + ")"),
    }
    fixed = JSON5_TEXT.replace('depends_on: ["zz"], num_cpus: 2', 'depends_on: ["b"]')
    assert [j.depends_on for j in ok(fixed, where).jobs] == [(), ("a",), ("b",)]
    assert errors('{\n  name: "x",\n  jobs: [\n    {name: "a" command: "b"}\n  ]\n}\n', where)[0][0] == 4
    assert ok('{"name": "j", "jobs": [{"name": "a", "command": "x"}]}', Path("/tmp/wf/wf.json")).name == "j"


def test_size_cap_and_fifo_never_hang(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: w\n" + "#" * MAX_BYTES + "\njobs: []\n")
    assert "limited to 2 MiB" in load_workflow(big).errors[0].message
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    result: list[LoadResult] = []
    reader = threading.Thread(target=lambda: result.append(load_workflow(fifo)), daemon=True)
    reader.start()
    reader.join(10)
    assert result and "not a regular file" in result[0].errors[0].message


@pytest.mark.parametrize("suffix", [".yaml", ".json5"])
def test_100k_deep_nesting_is_an_error_not_a_recursion_error(suffix: str) -> None:
    text = "[" * 100_000 + "]" * 100_000
    found = errors(text, Path(f"/tmp/wf/deep{suffix}"))
    assert len(found) == 1 and "nest more than 64 levels" in found[0][1]


def test_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
        for i in range(1, 9)
    ]
    assert "more than 1,000,000 values" in errors("\n".join(lines) + "\n")[0][1]


def test_control_characters_never_reach_the_script() -> None:
    assert "control character" in errors('name: w\njobs:\n  - {name: "a\\nb", command: x}\n')[0][1]
    assert "control character" in errors('name: "w\\e[2J"\njobs:\n  - {name: a, command: x}\n')[0][1]
    escaped = errors("name: w\njobs:\n  - name: a_{i}\n    command: x\n    parameters: {i: \"['\\e]0;t\\a']\"}\n")
    assert "control character" in escaped[0][1]
    wf = ok("name: w\njobs:\n  - {name: a, command: echo hi}\n", Path("/tmp/evil\nrm -rf ~\n/wf.yaml"))
    script = plan_workflow(wf, Path("/x"))[0].plan.script
    assert "\nrm -rf ~" not in script and "cd $'/tmp/evil\\x0arm -rf ~\\x0a' || exit 1" in script


def test_json5_depth_scan_skips_strings_and_comments() -> None:
    from app.workflows.json5nodes import too_deep

    assert too_deep('{"a": "[[[[[[", b: [1, {c: 2}]}', 3) is None
    assert too_deep('{"a": "[[[[[[", b: [1, {c: [2]}]}', 3) == 1
    assert too_deep("// [[[[[\n/* [[[[ \n */ {a: 'x\\'[['}\n", 1) is None
    assert too_deep("{\n a: [\n [\n", 2) == 3
