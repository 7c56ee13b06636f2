"""sstat (live memory of running steps) and `squeue --start` (expected start of pending jobs), read
from real output: ours (tests/captures, made by make_live_captures.py on the test cluster) and
another site's sstat (tests/captures/sites/hb_jobinfo_sstat.txt). Through SlurmClient the runner
is fake only in where its text comes from: the captures, with their exit status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from app.model.pending import pending_reason_words
from app.model.units import MemorySize
from app.model.usage import LiveMemory, MemoryRequest, live_memory
from app.slurm.client import SlurmClient
from app.slurm.errors import PermissionDenied, SlurmUnavailable
from app.slurm.hostlist import count_hosts
from app.slurm.records import LiveStep
from app.slurm.runner import CommandResult, CommandRunner
from app.slurm.squeue import parse_squeue_start, squeue_start_argv
from app.slurm.sstat import SSTAT_FIELDS, parse_sstat, sstat_argv
from app.views.projection import waiting_words
from tests.captures import capture_argv, capture_text, squeue_delimiter
from tests.captures.replay import ReplayRunner, call_delimiter, recorded_status
from tests.captures.sites import site_captures

K = 1024


def kib(n: int) -> MemorySize:
    return MemorySize(n * K)


def job_ids(capture: str) -> list[str]:
    argv = capture_argv(capture)
    return argv[argv.index("-j") + 1].split(",")


def request(per_node: str) -> MemoryRequest:
    size = MemorySize.parse(per_node)
    return MemoryRequest(size, size, None, None, 1, 1, "test")


def steps_of(capture: str, job_id: str) -> list[LiveStep]:
    return [s for s in parse_sstat(capture_text(capture)) if s.job_id == job_id]


def test_sstat_argv_asks_every_step_without_free_text() -> None:
    argv = sstat_argv(["12", "13"])
    assert argv[:4] == ["sstat", "-a", "-n", "-P"] and argv[-2:] == ["-j", "12,13"]
    assert "JobName" not in ",".join(SSTAT_FIELDS)  # cut at `|`: only cells that hold no free text


def test_sstat_running_steps_as_captured() -> None:
    one, four = job_ids("sstat_running.txt")
    found = parse_sstat(capture_text("sstat_running.txt"))
    assert not found.problems
    assert [s.step_id for s in found] == [f"{one}.batch", f"{four}.batch", f"{four}.0"]
    step = found[2]
    assert (step.ntasks, step.nnodes, step.node_list) == (4, 1, "lr1")
    assert step.max_rss == kib(64248)  # one task
    assert step.tres_usage_in_tot is not None and step.tres_usage_in_tot.memory() == kib(256984)  # all four


def test_live_memory_of_one_task_while_it_holds_and_after_it_freed() -> None:
    one, _ = job_ids("sstat_running.txt")
    holding = live_memory(steps_of("sstat_running.txt", one), request("400M"))
    assert holding.now_per_node == kib(207960) and holding.peak_per_node == kib(207960)
    assert holding.percent(holding.now_per_node) == pytest.approx(50.8, abs=0.1)
    freed = live_memory(steps_of("sstat_freed.txt", one), request("400M"))
    assert freed.now_per_node == kib(3156), "now is TRESUsageInTot: it falls when memory is freed"
    assert freed.peak_per_node == kib(207960), "the peak is MaxRSS: it stays"
    assert freed.requested_per_node == MemorySize.parse("400M")


def test_live_memory_of_four_tasks_counts_all_of_them() -> None:
    _, four = job_ids("sstat_running.txt")
    holding = live_memory(steps_of("sstat_running.txt", four), request("600M"))
    assert holding.now_per_node == kib(3936 + 256984), "batch shell and the four tasks, now"
    assert holding.peak_per_node is not None and holding.peak_per_node >= kib(4 * 64000)
    freed = live_memory(steps_of("sstat_freed.txt", four), request("600M"))
    assert freed.now_per_node == kib(3936 + 11208)
    assert freed.peak is not None and freed.peak.per_node == kib(64248 * 4)
    assert freed.peak.how == f"MaxRSS {kib(64248)} x 4 tasks"


def test_live_memory_with_nothing_running() -> None:
    empty = live_memory([], request("1G"))
    assert empty == LiveMemory(None, None, MemorySize.parse("1G"))
    assert empty.percent(empty.now_per_node) is None


def test_another_sites_sstat() -> None:
    site = site_captures()["hb_jobinfo_sstat.txt"]
    found = site.sstat()
    assert not found.problems
    ids = [s.step_id for s in found]
    assert len(ids) == len(set(ids)) == 6, "the .batch row printed twice is kept once"
    batch = next(s for s in found if s.step_id == "8185873.batch")
    memory = live_memory([batch], request("1G"))
    assert memory.now_per_node == kib(138368) and memory.peak_per_node == kib(161592)
    mpi = next(s for s in found if s.step_id == "8180204.0")
    assert mpi.ntasks == 24 and mpi.nnodes is None, "their format has no Nodelist"
    assert mpi.tres_usage_in_tot is not None and mpi.tres_usage_in_tot.memory() == kib(54160824)
    assert live_memory([mpi], None).now_per_node == kib(54160824)


def test_sstat_rows_that_cannot_be_read_are_reported() -> None:
    text = capture_text("sstat_running.txt")
    damaged = text.replace("|lr1|", "|lr1|extra|", 1) + "not a row\n" + "77.batch|x|lr1||||\n"
    found = parse_sstat(damaged)
    assert len(found) == 2 and len(found.problems) == 3
    assert {p.job_id for p in found.problems} == {job_ids("sstat_running.txt")[0], None, "77"}


class Captured(ReplayRunner):
    """Answers each call with a capture (text, stderr and exit status as recorded), in the call's
    own delimiter when the capture was made with `delimiter`."""

    def __init__(self, name: str, stream: str = "stdout", delimiter: str | None = None) -> None:
        super().__init__()
        self.name, self.stream, self.delimiter = name, stream, delimiter

    def answer(self, argv: Sequence[str]) -> CommandResult:
        text = capture_text(self.name)
        wanted = call_delimiter(argv)
        if self.delimiter is not None and wanted is not None:
            text = text.replace(self.delimiter, wanted)
        out, err = (text, "") if self.stream == "stdout" else ("", text)
        return CommandResult(tuple(argv), recorded_status(self.name), out, err)


def test_client_live_steps_of_a_running_job() -> None:
    runner = Captured("sstat_running.txt")
    steps = SlurmClient(runner=runner).live_steps(job_ids("sstat_running.txt"))
    assert len(steps) == 3 and runner.calls == 1
    assert runner.argvs[0][0] == "sstat"


def test_client_live_steps_of_another_users_job_is_refused() -> None:
    with pytest.raises(PermissionDenied, match="only the job's owner"):
        SlurmClient(runner=Captured("sstat_denied.stderr", "stderr")).live_steps(["1500"])


def test_client_live_steps_of_an_ended_job_is_empty() -> None:
    assert list(SlurmClient(runner=Captured("sstat_no_steps.stderr", "stderr")).live_steps(["1502"])) == []


def test_client_live_steps_when_slurm_is_down() -> None:
    class Down(CommandRunner):
        def run(self, argv: Sequence[str], **kwargs: object) -> CommandResult:  # type: ignore[override]
            return CommandResult(tuple(argv), 1, "", "sstat: error: Unable to contact slurm controller")

    with pytest.raises(SlurmUnavailable):
        SlurmClient(runner=Down()).live_steps(["1"])


def test_squeue_start_as_captured() -> None:
    begin, held, waiting, running = job_ids("squeue_start.txt")
    found = parse_squeue_start(capture_text("squeue_start.txt"), squeue_delimiter_start())
    assert not found.problems
    by_id = {e.job_id: e for e in found}
    assert running not in by_id, "squeue --start prints pending jobs only"
    assert by_id[begin].reason == "BeginTime" and by_id[begin].start is not None
    assert by_id[held].reason == "JobHeldUser" and by_id[held].start is None
    assert by_id[waiting].reason == "Resources" and by_id[waiting].sched_nodes == "lr2"
    assert isinstance(by_id[waiting].start, datetime)
    assert squeue_start_argv(["1", "2"], "|")[:3] == ["squeue", "--start", "-h"]


def squeue_delimiter_start() -> str:
    argv = capture_argv("squeue_start.txt")
    form = argv[argv.index("-o") + 1]
    return form[form.index("%i") + 2 : form.index("%S")]


def test_client_start_estimates_use_a_fresh_delimiter() -> None:
    runner = Captured("squeue_start.txt", delimiter=squeue_delimiter_start())
    found = SlurmClient(runner=runner).start_estimates(job_ids("squeue_start.txt"))
    assert len(found) == 3 and not found.problems
    assert squeue_delimiter_start() not in runner.argvs[0][4]


def test_squeue_start_row_that_names_no_job() -> None:
    d = squeue_delimiter_start()
    found = parse_squeue_start(f"12{d}N/A{d}Priority{d}(null)\nnonsense{d}x{d}y{d}z\n13{d}soon{d}None{d}(null)\n", d)
    assert [e.job_id for e in found] == ["12", "13"]
    assert found[1].start is None and len(found.problems) == 2


@pytest.mark.parametrize(
    ("hostlist", "count"),
    [("lr1", 1), ("lr[1-2]", 2), ("cn[01-04,07],gpu3", 6), ("r[1-2]n[1-3]", 6), ("node-1,node-2", 2),
     ("", None), ("(null)", None), ("lr[1-", None), ("lr[3-1]", None), ("lr[a-b]", None)],
)  # fmt: skip
def test_count_hosts(hostlist: str, count: int | None) -> None:
    assert count_hosts(hostlist) == count


def test_pending_reasons_in_words() -> None:
    assert pending_reason_words("Priority") == "other jobs come first"
    assert pending_reason_words("None") is None and pending_reason_words(None) is None
    assert pending_reason_words("SomethingNew") is None
    assert waiting_words("Resources") == "Resources: waiting for free CPUs, memory or nodes"
    assert waiting_words("SomethingNew") == "SomethingNew"
    assert waiting_words("None") is None


def test_squeue_capture_delimiter_helper_agrees() -> None:
    assert squeue_delimiter("squeue_pending_running.txt")  # the older helper still reads its captures
