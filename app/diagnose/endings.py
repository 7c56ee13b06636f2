"""Endings Slurm decides: memory limit, time limit, preemption, node and boot failure, deadline,
cancellation, and success (or "stopped early" at the warning signal, or a step that failed under a
script that went on). Live jobs are in live.py.
"""

from __future__ import annotations

from app.diagnose import fixes, logscan
from app.diagnose.diagnosis import Diagnosis, DiagnosisKind
from app.diagnose.facts import JobFacts
from app.diagnose.memory import after_out_of_memory, trimmed

CHAIN_HINT = "run it as a chain with `longrun submit`, which resubmits by itself and continues from the last checkpoint"


def _diag(facts: JobFacts, kind: DiagnosisKind, title: str, explanation: str, **kw: object) -> Diagnosis:
    return Diagnosis(kind, title, explanation, evidence=tuple(facts.evidence), **kw)  # type: ignore[arg-type]


def out_of_memory(facts: JobFacts, form: str) -> Diagnosis:
    """`form`: how Slurm showed it ("cgroup": OUT_OF_MEMORY; "kill": FAILED 0:9; "exit": 137; "log";
    "step": a step OUT_OF_MEMORY under a job its script ended otherwise)."""
    facts.cite_memory()
    for line in logscan.log_lines(facts.logs, logscan.OUT_OF_MEMORY)[-2:]:
        facts.evidence.append(line.evidence())
    oom_steps = [step for step in facts.failed_steps if step.out_of_memory]
    for step in oom_steps:
        facts.cite("sacct", f"{step.step_id} State", f"{step.state} {step.exit_code}")
    how = {
        "cgroup": "Slurm's memory limit (the job's cgroup) stopped it: the kernel's out-of-memory killer ended it",
        "kill": "it was killed with SIGKILL by the system (batch step CANCELLED by 0) while at its memory limit; "
        "this is how Slurm reports an over-memory job on clusters without cgroup enforcement",
        "exit": "a command in it was killed with SIGKILL (exit 137 = 128 + 9) while the job was at its memory limit",
        "log": "the program reported that it could not allocate memory",
        "step": "the out-of-memory killer stopped "
        + ", ".join(f"step {step.step_id} ({step.name})" for step in oom_steps)
        + f" at the job's memory limit; the job itself ended {facts.state.value} because its script went on",
    }[form]
    explanation = f"The job needed more memory than it asked for: {how}."
    memory = facts.memory
    ambiguous: list[str] = []
    fix: dict[str, str] = {}
    advice = after_out_of_memory(memory, facts.context, facts.partition) if memory is not None else None
    if advice is not None and memory is not None:
        fix[advice.option] = advice.value
        explanation += " " + advice.why
        per = "per CPU" if advice.option == "mem-per-cpu" else "per node"
        suggestion = f"Ask for --{advice.option}={advice.value} ({per})."
        if memory.unit_source is None:
            ambiguous.append(
                "Accounting (Slurm 21.08 and later) does not record whether the job asked with --mem or "
                "--mem-per-cpu; the advice is per node (--mem)."
            )
        if memory.usage.request.nodes > 1:
            suggestion += f" The job ran on {memory.usage.request.nodes} nodes: --mem is per node."
    else:
        suggestion = "Ask for more memory with --mem (accounting recorded neither a peak nor the request)."
    suggestion += " Or make the program use less (smaller batches, streaming instead of loading everything)."
    chain = facts.context.chain
    if chain is not None and chain.spec.policy.grow_mem_factor is None:
        suggestion += " A chain can grow its memory by itself after such a kill: `longrun submit --grow-mem 2 ...`."
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
    advice = facts.time_advice()
    if advice.new is not None:
        fix["time"] = advice.new.slurm_format()
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
    if advice.at_max:
        explanation += f" The job already had the partition's maximum (MaxTime {advice.max_time})."
        suggestion += f"; {advice.words()}: {CHAIN_HINT}, each link within the maximum."
    elif advice.capped:
        suggestion += f"; then {advice.words()}, and as even that may not be enough, {CHAIN_HINT}."
    elif advice.new is not None:
        suggestion += f"; then either {advice.words()} or {CHAIN_HINT}."
    else:
        suggestion += f"; then {CHAIN_HINT}."
    return _diag(
        facts,
        DiagnosisKind.TIMEOUT,
        "Time limit reached",
        explanation,
        suggestion=suggestion,
        fix_options=fix,
        handler_snippet=snippet,
        signal="SIGTERM",
        time=advice,
    )


def completed(facts: JobFacts) -> Diagnosis:
    """COMPLETED 0:0: finished; or stopped early after catching the warning signal; or a step failed."""
    facts.cite_time()
    if facts.failed_steps:
        return step_failed(facts)
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
        return stopped_early(facts, signal_lines)
    facts.cite_memory()
    suggestion = None
    fix: dict[str, str] = {}
    smaller = trimmed(facts.memory) if facts.memory is not None else None
    if smaller is not None:
        fix[smaller.option] = smaller.value
        suggestion = smaller.why
    return _diag(
        facts,
        DiagnosisKind.COMPLETED,
        "Completed",
        "The job's script ran to the end and exited 0, and every step succeeded.",
        suggestion=suggestion,
        fix_options=fix,
    )


def stopped_early(facts: JobFacts, signal_lines: list[logscan.LogLine]) -> Diagnosis:
    for line in sorted(signal_lines, key=lambda x: x.number)[:3]:
        facts.evidence.append(line.evidence())
    limit, elapsed = facts.time_limit, facts.elapsed
    ambiguous: tuple[str, ...] = ()
    if not signal_lines and limit is not None and elapsed is not None:
        ambiguous = (
            f"Only the timing suggests it: the job ended within {limit.seconds - elapsed.seconds} s of its limit "
            "and no log line says it caught a signal; it may simply have finished.",
        )
    advice = facts.time_advice()
    early_fix = {"time": advice.new.slurm_format()} if advice.new else {}
    more = f" or {advice.words()} to finish in one job" if advice.new else ""
    if advice.at_max:
        more = f" ({advice.words()})"
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
        time=advice,
    )


def step_failed(facts: JobFacts) -> Diagnosis:
    """COMPLETED 0:0 (the script's last command succeeded) while a step failed or was killed."""
    steps = facts.failed_steps
    for step in steps:
        facts.cite("sacct", f"{step.step_id} State", f"{step.state} {step.exit_code}")
    if any(step.out_of_memory for step in steps):
        return out_of_memory(facts, "step")
    named = ", ".join(step.step_id for step in steps)
    first = steps[0]
    title = (
        f"Completed, but step {first.step_id} failed"
        if len(steps) == 1
        else f"Completed, but {len(steps)} steps failed"
    )
    return _diag(
        facts,
        DiagnosisKind.STEP_FAILED,
        title,
        f"Slurm recorded the job COMPLETED 0:0 because its batch script exited 0, but {named} did not succeed "
        f"({first.meaning}). The script went on after the failure, so the work is probably incomplete.",
        suggestion="Read the step's output in the log. Make the script stop at a failed step (`set -e`, or "
        "`srun ... || exit $?`), so that the job's state tells the truth and a chain does not take it for finished.",
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
