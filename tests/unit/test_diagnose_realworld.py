"""The diagnosis of jobs shaped like real ones, captured on the test cluster (tests/captures/diag/):
a four-task step killed at the memory limit (under a script that went on, and as its last
command), failed and signalled steps under a COMPLETED job, a per-CPU request, a heterogeneous
job, an array whose tasks ended four ways. Each is read as sacct alone (after MinJobAge) and
with the controller's record taken right after the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.diagnose import Diagnosis, DiagnosisContext, DiagnosisKind, LogTail, diagnose, diagnose_family
from app.explain.sbatch_options import merged, script_directives
from app.slurm.jobid import family_of
from app.slurm.records import ControllerJob, JobAccounting
from app.slurm.scontrol import parse_show_job
from tests.captures import parse_sacct_capture
from tests.captures.diag.scenarios import MT_REQUEST, SCRIPTS

DIAG = Path(__file__).resolve().parents[1] / "captures" / "diag"
MIB = 1024 * 1024


def records(key: str) -> tuple[str, list[JobAccounting], ControllerJob]:
    found = parse_sacct_capture(f"diag/{key}.sacct.txt")
    base = next(iter(found)).split("_")[0].split("+")[0]
    return base, family_of(found, base), parse_show_job((DIAG / f"{key}.scontrol.txt").read_text(), base)


def both(key: str, **kw: object) -> list[Diagnosis]:
    """The diagnosis from sacct alone, then with the controller's record."""
    base, members, controller = records(key)
    return [diagnose_family(base, members, held, **kw) for held in (None, controller)]  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["mt_oom_then_echo", "mt_oom_last"])
def test_a_four_task_step_killed_at_the_memory_limit(key: str) -> None:
    """The issue: one task's MaxRSS (~120M) compared with the request said "used 40 %"; the four tasks
    together were at the limit. Whatever the job's own state (COMPLETED, FAILED 1:0), it is out of memory."""
    _base, (accounting,), _ctl = records(key)
    step = next(s for s in accounting.steps if s.step == "0")
    assert step.max_rss is not None and step.max_rss.bytes < 150 * MIB  # one task's peak
    assert accounting.job.state.value == ("COMPLETED" if key == "mt_oom_then_echo" else "FAILED")
    for found in both(key):
        assert found.kind is DiagnosisKind.OUT_OF_MEMORY
        memory = found.memory
        assert memory is not None and memory.limit_per_node is not None and memory.peak_per_node is not None
        assert memory.peak_per_node >= memory.limit_per_node  # the tasks together reached the limit
        assert "TRESUsageInTot" in (memory.usage.peak.how if memory.usage.peak else "")
        value = found.fix_options["mem"]
        assert value.endswith("M") and int(value[:-1]) >= 2 * int(MT_REQUEST[:-1])  # at least twice the limit
        assert [s.step_id for s in found.failed_steps] == [step.step_id] and found.failed_steps[0].out_of_memory
        assert "how much is unknown" in found.explanation and "twice the" in found.explanation
        assert f"the job itself ended {accounting.job.state.value}" in found.explanation


def test_failed_and_signalled_steps_under_a_completed_job() -> None:
    for found in both("srun_false"):
        assert found.kind is DiagnosisKind.STEP_FAILED and found.title == "Completed, but 2 steps failed"
        (false, segv) = found.failed_steps
        assert (false.state, false.exit_code) == ("FAILED", "1:0") and "general error" in false.meaning
        assert (segv.state, segv.exit_code) == ("CANCELLED", "0:11") and "SIGSEGV" in segv.meaning
        assert "set -e" in (found.suggestion or "") and not found.continues_chain
        assert len([line for line in found.details() if line.startswith("Did not succeed")]) == 2


def test_a_per_cpu_request_gets_advice_per_cpu() -> None:
    """22.05's accounting prints ReqMem 200M for `--mem-per-cpu=100M -c 2`: the unit comes from the
    controller's MinMemoryCPU, or from the script's #SBATCH line; without either, per node (said so)."""
    alone, held = both("per_cpu_oom")
    assert alone.fix_options == {"mem": "448M"} and alone.memory is not None and alone.memory.unit_source is None
    assert any("--mem-per-cpu" in note for note in alone.ambiguous)
    assert held.fix_options == {"mem-per-cpu": "256M"}  # 200M per node x2 over 2 CPUs, rounded up to 64M steps
    assert held.memory is not None and held.memory.unit_source == "scontrol MinMemoryCPU=100M"
    options = merged((), script_directives(SCRIPTS["per_cpu_oom"]))
    _base, (accounting,), _ctl = records("per_cpu_oom")
    scripted = diagnose(accounting, context=DiagnosisContext(options=options))
    assert scripted.fix_options == {"mem-per-cpu": "256M"} and not scripted.ambiguous
    assert scripted.memory is not None and scripted.memory.unit_source == "--mem-per-cpu=100M (#SBATCH)"


def test_a_heterogeneous_job_is_explained_from_sbatchs_id() -> None:
    for found in both("het"):
        assert found.kind is DiagnosisKind.EXIT_CODE and found.exit_codes == (3,)
        assert found.family is not None and found.family.kind == "heterogeneous"
        assert [m.job_id.split("+")[1] for m in found.family.members] == ["0", "1"]
        assert [m.partition for m in found.family.members] == ["debug", "preemptible"]
        (step,) = found.failed_steps
        assert step.step_id.endswith("+1.0") and step.exit_code == "4:0"


def test_an_array_is_summarised_by_how_its_tasks_ended() -> None:
    for found in both("array_mixed"):
        assert found.kind is DiagnosisKind.ARRAY and found.family is not None
        assert found.family.counts() == {"completed": 2, "exit_code": 1, "out_of_memory": 1}
        assert found.title == "Array of 4 tasks: 2 completed, 1 exit code, 1 out of memory"
        assert "longrun explain" in (found.suggestion or "") and "_2`" in (found.suggestion or "")


def test_an_array_task_is_explained_with_its_own_log() -> None:
    found = parse_sacct_capture("diag/array_mixed.sacct.txt")
    task = next(acc for key, acc in found.items() if key.endswith("_3"))
    log = LogTail(str(DIAG / "array_mixed.3.log"), text=(DIAG / "array_mixed.3.log").read_text())
    d = diagnose(task, logs=[log])
    assert d.kind is DiagnosisKind.OUT_OF_MEMORY and d.fix_options == {"mem": "448M"}  # 200M x2, 64M steps
    assert any(e.source == "log" and "oom-kill" in e.value for e in d.evidence)
    assert "no peak was recorded" in d.explanation  # it died before Slurm's first sample


def test_json_carries_the_new_facts() -> None:
    _alone, held = both("mt_oom_last")
    data = held.as_json()
    memory = data["memory"]
    assert isinstance(memory, dict) and memory["asked_per"] == "node"
    assert memory["asked_per_source"] == "scontrol MinMemoryNode=300M"
    assert memory["request_per_node_bytes"] == 300 * MIB and memory["peak_step"] == "0"
    assert isinstance(data["failed_steps"], list) and data["failed_steps"][0]["out_of_memory"] is True
    assert data["details"] == held.details() and data["chain"] is None and data["family"] is None
