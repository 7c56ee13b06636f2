"""Out-of-memory endings for the chain policy, on real captures: a job FAILED 1:0 whose `srun` step
Slurm ended OUT_OF_MEMORY (Slurm 22.05 here; on many sites the batch step does the same) stops or
grows like a job OUT_OF_MEMORY, and --grow-mem grows the request in the unit the user asked in
(--mem per node, --mem-per-cpu, --mem-per-gpu), its cap per node.

The captures (tests/captures/diag/*.sacct.cmd say how they were made): `mt_oom_last`, `sbatch -n 4
--mem=300M` whose last command `srun -n 4` (120M per task) was killed at the limit; `per_cpu_oom`,
`#SBATCH --mem-per-cpu=100M -c 2` allocating 512M; reportseff's issue 16, a 2-node job of another
site (`ReqMem 32G` for both nodes, Slurm 21.08 or later).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from app.diagnose import DiagnosisKind, diagnose
from app.model.chain import ChainSpec, ChainState
from app.model.exit_status import ExitStatus
from app.model.outcome import ChainHistory, LinkEnding, LinkOutcome, decide
from app.model.policy import Policy
from app.model.sbatch_options import MemoryAsk
from app.model.states import JobState
from app.model.units import MemorySize
from app.registry import Registry
from app.slurm.records import JobAccounting
from app.supervisor.endings import record_end
from app.views.projection import statuses_from_accounting
from tests.captures import parse_sacct_capture
from tests.captures.diag.scenarios import SCRIPTS
from tests.captures.sites import site_captures
from tests.events import record


def only(name: str) -> JobAccounting:
    (accounting,) = parse_sacct_capture(name).values()
    return accounting


def chain_ending(
    tmp_path: Path, accounting: JobAccounting, policy: Policy, options: tuple[str, ...] = (), script: str = ""
) -> Registry:
    """A chain whose first link is the captured job, submitted with `options` and `script`; the real
    supervisor code records its ending and decides."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "job.sh"
    path.write_text(script or "#!/bin/bash\n")
    reg = Registry(tmp_path / "reg")
    spec = ChainSpec(chain_id="c1", name="train", owner="alice", script=str(path), workdir=str(tmp_path),
                     sbatch_options=options, policy=policy)  # fmt: skip
    reg.create_chain(spec)
    record(reg, "c1", "submit_intent", attempt=1)
    record(reg, "c1", "submitted", attempt=1, job_id=accounting.job_id)
    record_end(reg, reg.status("c1"), accounting)
    return reg


def test_a_failed_job_whose_step_was_killed_at_the_memory_limit_is_out_of_memory(tmp_path: Path) -> None:
    accounting = only("diag/mt_oom_last.sacct.txt")
    assert accounting.job.state is JobState.FAILED and str(accounting.job.exit_status) == "1:0"
    assert accounting.out_of_memory_step == "2331.0"
    status = chain_ending(tmp_path, accounting, Policy(), ("-n", "4", "--mem=300M")).status("c1")
    assert status.state is ChainState.STOPPED
    assert status.links[0].decision == "needs_person: out of memory in step 2331.0 (requested 300M)"
    # explain says the same as for a job Slurm ended OUT_OF_MEMORY itself
    found, whole_job = diagnose(accounting), diagnose(only("endings/oom.sacct.txt"))
    assert found.kind is whole_job.kind is DiagnosisKind.OUT_OF_MEMORY and found.title == whole_job.title


def test_grow_mem_applies_to_a_failed_job_with_an_oom_step(tmp_path: Path) -> None:
    accounting = only("diag/mt_oom_last.sacct.txt")
    reg = chain_ending(tmp_path, accounting, Policy(grow_mem_factor=2.0), ("-n", "4", "--mem=300M"))
    status = reg.status("c1")
    assert status.links[0].decision == "continue: out of memory in step 2331.0: growing --mem 300M -> 640M"
    assert status.state is ChainState.CONTINUING and status.next_options == ("--mem=640M",)


def test_a_per_cpu_request_grows_per_cpu(tmp_path: Path) -> None:
    """The script asked `--mem-per-cpu=100M -c 2`: the next link asks more per CPU, never a --mem that
    sbatch would have to reconcile with the script's --mem-per-cpu."""
    accounting = only("diag/per_cpu_oom.sacct.txt")
    reg = chain_ending(tmp_path, accounting, Policy(grow_mem_factor=2.0), script=SCRIPTS["per_cpu_oom"])
    status = reg.status("c1")
    assert status.links[0].decision == "continue: out of memory: growing --mem-per-cpu 100M -> 256M"
    assert status.next_options == ("--mem-per-cpu=256M",)
    # the cap is per node (2 CPUs x 100M = 200M here): x4 would be 800M per node, the cap 300M allows 150M per CPU
    capped = Policy(grow_mem_factor=4.0, grow_mem_cap=MemorySize.mebibytes(300))
    again = chain_ending(tmp_path / "capped", accounting, capped, script=SCRIPTS["per_cpu_oom"]).status("c1")
    assert again.next_options == ("--mem-per-cpu=150M",)
    # a command-line option wins over the script's, as in sbatch
    given = chain_ending(tmp_path / "cli", accounting, Policy(grow_mem_factor=2.0), ("--mem=200M",),
                         SCRIPTS["per_cpu_oom"]).status("c1")  # fmt: skip
    assert given.next_options == ("--mem=448M",)  # 200M x2 = 400M, in 64M steps


def test_a_multi_node_request_grows_per_node(tmp_path: Path) -> None:
    """Another site's 2-node job (ReqMem 32G: both nodes together, 16G each), its end edited to
    OUT_OF_MEMORY: --mem is per node, so x2 asks 32G per node, not 64G (twice the total)."""
    site = site_captures()["reportseff_issue16_multinode.txt"].sacct()
    job = next(acc for acc in site.values() if acc.job_id == "65638294")
    killed = JobAccounting(replace(job.job, state=JobState.OUT_OF_MEMORY), job.steps)
    assert killed.usage.request.nodes == 2 and killed.usage.request.per_node == MemorySize.mebibytes(16 * 1024)
    status = chain_ending(tmp_path, killed, Policy(grow_mem_factor=2.0)).status("c1")  # no option: site default
    assert status.links[0].decision == "continue: out of memory: growing --mem 16G -> 32G"
    assert status.next_options == ("--mem=32G",)
    given = chain_ending(tmp_path / "given", killed, Policy(grow_mem_factor=2.0), ("-N", "2", "--mem=16G"))
    assert given.status("c1").next_options == ("--mem=32G",)


def test_a_per_gpu_request_grows_per_gpu() -> None:
    ask = MemoryAsk.recorded("mem-per-gpu=10G", MemorySize.mebibytes(40 * 1024))  # 4 GPUs on the node
    ending = LinkEnding(JobState.OUT_OF_MEMORY, memory_ask=ask)
    grown = decide(ending, Policy(grow_mem_factor=1.5, grow_mem_cap=MemorySize.mebibytes(48 * 1024)), ChainHistory())
    assert grown.outcome is LinkOutcome.CONTINUE and grown.new_memory_option == "mem-per-gpu"
    assert grown.new_memory == MemorySize.mebibytes(12 * 1024)  # 15G per GPU would be 60G per node, over the 48G cap


def test_the_checkpoint_exit_code_still_continues_after_an_oom_step() -> None:
    """The script said "checkpointed, continue" itself (exit 75): its word stands."""
    ending = LinkEnding(JobState.FAILED, ExitStatus.parse("75:0"), oom_step="5.0")
    assert decide(ending, Policy(), ChainHistory()).label == "continue: checkpointed (exit 75)"


def test_a_colleagues_chain_rebuilt_from_accounting_reads_the_oom_step() -> None:
    accounting = only("diag/mt_oom_last.sacct.txt")
    tagged = JobAccounting(replace(accounting.job, comment="longrun:c9:1"), accounting.steps)
    (status,) = statuses_from_accounting([tagged])
    assert status.links[0].decision == "needs_person: out of memory in step 2331.0"


def test_records_written_before_the_ask_grow_the_total_as_before() -> None:
    old = LinkEnding(JobState.OUT_OF_MEMORY, requested_memory=MemorySize.mebibytes(200))
    assert (
        decide(old, Policy(grow_mem_factor=1.5), ChainHistory()).reason == "out of memory: growing --mem 200M -> 320M"
    )
