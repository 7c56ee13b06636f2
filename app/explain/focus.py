"""The dashboard's entry to the explain pipeline: the focused job's diagnosis, in the poll worker.

It takes the accounting the poll already fetched (no second sacct) and then runs what `longrun
explain` runs (app.explain.gather.complete, app.diagnose.diagnose). The controller's record
(`scontrol show job`) is asked for once per job and sacct state: while the job lives, again only
when sacct shows a new state or pending reason; once the job ended, the record scontrol gives is
final (or the controller has forgotten the job) and is kept, so refreshing an ended job never
calls Slurm, and its exact exit code (137, not sacct's 9) stays known after MinJobAge.
Partition limits come from one `scontrol show partition` kept ten minutes (app.explain.partitions),
asked only when a diagnosis needs a limit. No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from app.diagnose import Diagnosis, NothingToDiagnose
from app.explain.gather import ChainFinder, ChainLink, Gathered, complete, diagnose_gathered, find_chain
from app.explain.partitions import Fetch, PartitionCache
from app.model.states import JobState
from app.slurm.errors import SlurmError, UnknownJob
from app.slurm.records import ControllerJob, JobAccounting
from app.views import DiagnosisResult

CACHE_SIZE = 512
CHAIN_RECHECK_SECONDS = 5.0  # the focused link's chain record is read again after this long

ShowJob = Callable[[str], ControllerJob]


@dataclass(frozen=True)
class _Record:
    asked_at: tuple[JobState, str | None]  # sacct's state and reason when scontrol was asked
    controller: ControllerJob | None  # None: the controller no longer holds the job
    final: bool  # the job had ended for the controller too: this record will not change


class FocusExplainer:
    """Explains the dashboard's focused job; one per dashboard (it keeps the controller records)."""

    def __init__(
        self,
        show_job: ShowJob | None,
        find: ChainFinder = find_chain,
        partitions: Fetch | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._show_job = show_job  # None: never ask the controller (tests with a fake backend)
        self._find = find
        self.partitions = PartitionCache(partitions)  # None: no partition limits (tests with a fake backend)
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._chains: OrderedDict[tuple[str, str, str], tuple[float, ChainLink]] = OrderedDict()
        self._clock = clock
        self._lock = threading.Lock()
        self.controller_calls = 0

    def diagnosis(self, accounting: JobAccounting | None) -> DiagnosisResult | None:
        """What the Diagnosis pane shows for `accounting` (None: nothing focused)."""
        if accounting is None:
            return None
        try:
            _gathered, found = self.explain(accounting)
        except NothingToDiagnose:
            return None
        except Exception as exc:  # a diagnosis bug must not make the whole refresh look stale
            failure = f"The diagnosis failed: {type(exc).__name__}: {exc}"
            return DiagnosisResult(accounting.job_id, "No diagnosis", failure, (), None)
        return diagnosis_result(accounting.job_id, found)

    def explain(self, accounting: JobAccounting) -> tuple[Gathered, Diagnosis]:
        """The gathered facts and the diagnosis, exactly as `longrun explain` would make them."""
        controller, notes = self._controller(accounting)
        gathered = complete(accounting.job_id, accounting, controller, notes, self._find_chain, self.partitions)
        return gathered, diagnose_gathered(gathered)

    def _controller(self, accounting: JobAccounting) -> tuple[ControllerJob | None, tuple[str, ...]]:
        if self._show_job is None:
            return None, ()
        job_id, row = accounting.job_id, accounting.job
        now = (row.state, row.reason)
        with self._lock:
            cached = self._records.get(job_id)
        if cached is not None and (cached.final if row.state.is_terminal else cached.asked_at == now):
            return cached.controller, ()
        with self._lock:
            self.controller_calls += 1
        try:
            controller: ControllerJob | None = self._show_job(job_id)
        except UnknownJob:
            controller = None
        except SlurmError as exc:
            note = f"the controller did not answer ({exc}); explained from accounting only"
            return (cached.controller if cached else None), (note,)
        final = row.state.is_terminal and (controller is None or controller.state.is_terminal)
        with self._lock:
            self._records[job_id] = _Record(now, controller, final)
            self._records.move_to_end(job_id)
            while len(self._records) > CACHE_SIZE:
                self._records.popitem(last=False)
        return controller, ()

    def _find_chain(self, accounting: JobAccounting | None, controller: ControllerJob | None) -> ChainLink | None:
        """find_chain, kept per job for CHAIN_RECHECK_SECONDS: the link's spec and options never change, but
        the chain's decisions and next link (the Diagnosis pane tells them) do."""
        comment = (accounting.job.comment if accounting else None) or (controller.comment if controller else None)
        owner = (accounting.job.user if accounting else None) or (controller.user if controller else None) or ""
        job_id = accounting.job_id if accounting else (controller.job_id if controller else "")
        key = (job_id, comment or "", owner)
        now = self._clock()
        with self._lock:
            known = self._chains.get(key)
        if known is not None and now - known[0] < CHAIN_RECHECK_SECONDS:
            return known[1]
        found = self._find(accounting, controller)
        if found is not None:
            with self._lock:
                self._chains[key] = (now, found)
                self._chains.move_to_end(key)
                while len(self._chains) > CACHE_SIZE:
                    self._chains.popitem(last=False)
        return found


def diagnosis_result(job_id: str, found: Diagnosis) -> DiagnosisResult:
    """The Diagnosis pane's view of a diagnosis: the explanation followed by its details (failed steps,
    the pending reason and start estimate, the chain and its next link), as `longrun explain` prints them."""
    details = found.details()
    return DiagnosisResult(
        job_id=job_id,
        title=found.title,
        explanation=found.explanation + ("\n\n" + "\n".join(details) if details else ""),
        evidence=tuple(str(e) for e in found.evidence),
        suggestion=found.suggestion,
        kind=found.kind.value,
        fix_options=tuple(found.fix_options.items()),
    )
