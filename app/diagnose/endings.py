"""Endings Slurm decides: memory limit, time limit, preemption, node and boot failure, deadline,
cancellation, plain success (or "stopped early" at the warning signal), and live jobs.
"""

from __future__ import annotations

from app.diagnose import fixes, logscan
from app.diagnose.diagnosis import Diagnosis, DiagnosisKind
from app.diagnose.facts import JobFacts
from app.model.pending import pending_reason_words
from app.model.states import JobState
from app.model.units import Duration

CHAIN_HINT = "run it as a chain with `longrun submit`, which resubmits by itself and continues from the last checkpoint"


def _diag(facts: JobFacts, kind: DiagnosisKind, title: str, explanation: str, **kw: object) -> Diagnosis:
    return Diagnosis(kind, title, explanation, evidence=tuple(facts.evidence), **kw)  # type: ignore[arg-type]


def out_of_memory(facts: JobFacts, form: str) -> Diagnosis:
    """`form`: how Slurm showed it ("cgroup": OUT_OF_MEMORY; "kill": FAILED 0:9; "exit": 137; "log")."""
    facts.cite_memory()
    for line in logscan.log_lines(facts.logs, logscan.OUT_OF_MEMORY)[-2:]:
        facts.evidence.append(line.evidence())
    peak, req = facts.peak_rss, facts.requested_memory
    how = {
        "cgroup": "Slurm's memory limit (the job's cgroup) stopped it: the kernel's out-of-memory killer ended it",
        "kill": "it was killed with SIGKILL by the system (batch step CANCELLED by 0) while at its memory limit; "
        "this is how Slurm reports an over-memory job on clusters without cgroup enforcement",
        "exit": "a command in it was killed with SIGKILL (exit 137 = 128 + 9) while the job was at its memory limit",
        "log": "the program reported that it could not allocate memory",
    }[form]
    explanation = f"The job needed more memory than it asked for (--mem): {how}."
    ambiguous: list[str] = []
    new = fixes.memory_request(peak, req, ran_out=True)
    fix: dict[str, str] = {}
    if new is not None:
        fix["mem"] = new.sbatch_value()
        if req is not None and (peak is None or peak < req):
            recorded = f"the recorded peak ({peak})" if peak is not None else "no recorded peak"
            suggestion = (
                f"Ask for --mem={fix['mem']}: the {req} request +25 %, rounded up. Accounting shows {recorded} "
                "below the request because Slurm samples memory and missed the spike that hit the limit."
            )
            ambiguous.append("The real need is unknown (the peak was not recorded): +25 % is a first step.")
        else:
            suggestion = f"Ask for --mem={fix['mem']}: the peak ({peak}) +25 % headroom, rounded up."
    else:
        suggestion = "Ask for more memory with --mem (accounting recorded neither a peak nor the request)."
    suggestion += " Or make the program use less (smaller batches, streaming instead of loading everything)."
    if facts.job is not None and facts.job.req_mem_per_cpu:
        ambiguous.append("The request was per CPU (--mem-per-cpu); the fix is for the whole job (--mem).")
    return _diag(
        facts,
        DiagnosisKind.OUT_OF_MEMORY,
        "Out of memory",
        explanation,
        suggestion=suggestion,
        fix_options=fix,
        ambiguous=tuple(ambiguous),
        signal="SIGKILL" if form != "log" else None,
    )


def timeout(facts: JobFacts) -> Diagnosis:
    facts.cite_time()
    for line in logscan.log_lines(facts.logs, logscan.TIME_LIMIT)[-1:]:
        facts.evidence.append(line.evidence())
    limit = facts.time_limit
    handled = facts.script.has_handler and facts.script.signal_option is not None
    if facts.script.signal_option:
        facts.cite("script", "#SBATCH --signal", facts.script.signal_option)
    explanation = (
        f"The job was still running when its time limit ({limit or 'unknown'}) ran out. Slurm sent SIGTERM, "
        "waited KillWait seconds, then killed it with SIGKILL."
    )
    fix: dict[str, str] = {}
    new_time = fixes.wall_time(limit, facts.elapsed)
    if new_time is not None:
        fix["time"] = new_time.slurm_format()
    snippet = None
    if handled:
        lead = facts.script.signal_lead_seconds or 60
        explanation += f" It had a warning-signal handler ({facts.script.signal_option}) but did not exit in time."
        fix["signal"] = f"B:TERM@{max(lead * 2, fixes.signal_lead(limit))}"
        suggestion = f"Give the handler more time (--signal={fix['signal']}) or make the checkpoint faster"
    else:
        explanation += " Nothing caught the signal, so no checkpoint was saved (unless the program saves on its own)."
        fix["signal"] = fixes.signal_option(limit)
        snippet = fixes.handler_snippet(limit)
        suggestion = (
            f"Catch the warning: add --signal={fix['signal']} and a trap that saves a checkpoint and "
            "exits 75 (snippet below)"
        )
    if "time" in fix:
        suggestion += f"; then either ask for --time={fix['time']} (the limit x1.5) or {CHAIN_HINT}."
    return _diag(
        facts,
        DiagnosisKind.TIMEOUT,
        "Time limit reached",
        explanation,
        suggestion=suggestion,
        fix_options=fix,
        handler_snippet=snippet,
        signal="SIGTERM",
    )


def completed(facts: JobFacts) -> Diagnosis:
    """COMPLETED 0:0: finished, or stopped early after catching the warning signal."""
    facts.cite_time()
    signal_lines = logscan.log_lines(facts.logs, logscan.CANCELLED_BANNER) + logscan.log_lines(
        facts.logs, logscan.WARNING_SIGNAL
    )
    limit, elapsed = facts.time_limit, facts.elapsed
    near_end = False
    if limit is not None and elapsed is not None and limit.seconds >= 10 * 60:
        window = (facts.script.signal_lead_seconds or 0) + 90
        near_end = limit.seconds - elapsed.seconds <= window
    if facts.script.signal_option:
        facts.cite("script", "#SBATCH --signal", facts.script.signal_option)
    if signal_lines or near_end:
        for line in sorted(signal_lines, key=lambda x: x.number)[:3]:
            facts.evidence.append(line.evidence())
        ambiguous: tuple[str, ...] = ()
        if not signal_lines:
            ambiguous = (
                "Only the timing suggests it: the job ended within "
                f"{limit.seconds - elapsed.seconds} s of its limit and no log line says it "  # type: ignore[union-attr]
                "caught a signal; it may simply have finished.",
            )
        new_time = fixes.wall_time(limit, elapsed)
        early_fix = {"time": new_time.slurm_format()} if new_time else {}
        more = f" or ask for --time={early_fix['time']} to finish in one job" if early_fix else ""
        return _diag(
            facts,
            DiagnosisKind.STOPPED_EARLY,
            "Stopped early at the warning signal",
            "The job ended COMPLETED (exit 0), but right after Slurm's warning signal: it caught the signal, "
            "saved its state and exited. The work is probably not finished.",
            suggestion=(
                "Resubmit it to continue from its checkpoint" + more + f", or {CHAIN_HINT}. Have the handler "
                "exit 75 instead of 0, so that a finished job and a saved one look different."
            ),
            fix_options=early_fix,
            ambiguous=ambiguous,
            signal="SIGTERM",
        )
    facts.cite_memory()
    suggestion = None
    fix: dict[str, str] = {}
    peak, req = facts.peak_rss, facts.requested_memory
    if peak is not None and req is not None and req.mib >= 1024 and peak.percent_of(req) < 25:
        new = fixes.memory_request(peak, req, ran_out=False)
        if new is not None and new < req:
            fix["mem"] = new.sbatch_value()
            suggestion = (
                f"It used {peak} of the {req} it asked for: --mem={fix['mem']} would do "
                "(peak +25 %) and lets it start sooner."
            )
    return _diag(
        facts,
        DiagnosisKind.COMPLETED,
        "Completed",
        "The job's script ran to the end and exited 0.",
        suggestion=suggestion,
        fix_options=fix,
    )


def slurm_stopped(facts: JobFacts, kind: DiagnosisKind) -> Diagnosis:
    """Preemption, node failure, boot failure, revocation: not the job's fault; resubmit."""
    facts.cite_time()
    node = (facts.job.node_list if facts.job else None) or "its node"
    partition = facts.job.partition if facts.job else None
    fix: dict[str, str] = {}
    if kind is DiagnosisKind.PREEMPTED:
        title = "Preempted"
        where = f" in partition {partition}" if partition else ""
        explanation = (
            f"A job with a higher priority needed the resources, so Slurm stopped this one{where} "
            "(preemption). Nothing was wrong with the job."
        )
        suggestion = f"Resubmit it, or {CHAIN_HINT}. To avoid preemption, use a partition whose jobs are not preempted."
        pattern = logscan.PREEMPTION
    elif kind is DiagnosisKind.NODE_FAIL:
        title = "Node failure"
        explanation = (
            f"The node it ran on ({node}) failed or was taken down, and Slurm ended the job. "
            "Nothing was wrong with the job."
        )
        suggestion = f"Resubmit it, or {CHAIN_HINT}. If the same node fails again, tell the admins and exclude it."
        if facts.job and facts.job.node_list:
            fix["exclude"] = facts.job.node_list
        pattern = logscan.NODE_FAILURE
    elif kind is DiagnosisKind.BOOT_FAIL:
        title = "Node failed to boot"
        explanation = f"The node given to the job ({node}) failed to boot, so the job never ran."
        suggestion = f"Resubmit it, or {CHAIN_HINT}. If it repeats, tell the admins and exclude the node."
        if facts.job and facts.job.node_list and facts.job.node_list != "None assigned":
            fix["exclude"] = facts.job.node_list
        pattern = logscan.NODE_FAILURE
    else:
        title = "Revoked"
        explanation = "The job was revoked: in a federation of clusters, another cluster started it instead."
        suggestion = "Look for the job on the other cluster of the federation; nothing to fix here."
        pattern = logscan.CANCELLED_BANNER
    for line in logscan.log_lines(facts.logs, pattern)[-1:]:
        facts.evidence.append(line.evidence())
    if facts.job and facts.job.node_list:
        facts.cite("sacct", "NodeList", facts.job.node_list)
    return _diag(facts, kind, title, explanation, suggestion=suggestion, fix_options=fix)


def deadline(facts: JobFacts) -> Diagnosis:
    facts.cite_time()
    if facts.never_ran:
        explanation = (
            "Slurm could not start the job early enough to finish within its --time before its "
            "--deadline, so it removed the job without running it."
        )
    else:
        explanation = "The job reached its --deadline while running, and Slurm stopped it."
    suggestion = (
        "Give a later --deadline, or a shorter --time (with --time-min Slurm may shorten the limit to fit "
        f"the deadline), or {CHAIN_HINT}."
    )
    return _diag(facts, DiagnosisKind.DEADLINE, "Deadline passed", explanation, suggestion=suggestion)


def cancelled(facts: JobFacts) -> Diagnosis:
    uid = facts.job.cancelled_by_uid if facts.job else None
    for line in logscan.log_lines(facts.logs, logscan.CANCELLED_BANNER)[-1:]:
        facts.evidence.append(line.evidence())
    when = " before it started" if facts.never_ran else ""
    if uid is None:
        return _diag(
            facts,
            DiagnosisKind.CANCELLED,
            "Cancelled",
            f"The job was cancelled{when}; accounting does not say by whom.",
            suggestion="Resubmit it if that was not intended.",
        )
    who = facts.name_of_uid(uid)
    facts.cite("longrun", f"uid {uid}", who)
    if uid == 0:
        by = "root: an administrator, or Slurm itself (e.g. a dependency that can never be met, or a policy)"
    elif who == facts.owner:
        by = f"{who}, the job's owner (scancel)"
    else:
        by = f"{who}, who is not the job's owner (an operator or account coordinator)"
    return _diag(
        facts,
        DiagnosisKind.CANCELLED,
        f"Cancelled by {who}",
        f"The job was cancelled{when} by {by}.",
        suggestion="Nothing to fix if that was intended; resubmit it otherwise.",
        cancelled_by=who,
    )


def live(facts: JobFacts) -> Diagnosis:
    state = facts.state
    reason = facts.controller.reason if facts.controller else (facts.job.reason if facts.job else None)
    if reason and reason != "None":
        facts.cite("scontrol" if facts.controller else "sacct", "Reason", reason)
    facts.cite("scontrol" if facts.controller else "sacct", "State", state.value)
    if state is JobState.PENDING:
        meaning = pending_reason_words(reason)
        why = f" ({reason}: {meaning})" if meaning else (f" ({reason})" if reason and reason != "None" else "")
        suggestion = None
        if reason == "DependencyNeverSatisfied":
            suggestion = "Cancel it and resubmit without the dependency (or fix the job it waits for)."
        elif reason == "PartitionTimeLimit":
            suggestion = "Cancel it and resubmit with a --time within the partition's limit, or as a chain."
        return _diag(
            facts, DiagnosisKind.PENDING, "Pending", f"The job is waiting to start{why}.", suggestion=suggestion
        )
    if state in (JobState.REQUEUED, JobState.REQUEUE_HOLD, JobState.REQUEUE_FED):
        return _diag(
            facts,
            DiagnosisKind.REQUEUED,
            "Requeued",
            "Slurm put the job back in the queue; the same job id will run again.",
        )
    limit, elapsed = facts.time_limit, facts.elapsed
    used = f" for {elapsed}" if elapsed else ""
    of = f" of its {limit} limit" if limit else ""
    left = ""
    if limit and elapsed:
        left = f"; {Duration(max(0, limit.seconds - elapsed.seconds))} left"
    return _diag(
        facts,
        DiagnosisKind.RUNNING,
        "Running" if state.value == "RUNNING" else state.value.title(),
        f"The job has not ended: it is {state.value.lower()}{used}{of}{left}.",
    )
