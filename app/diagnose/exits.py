"""Endings the job's own processes decide: exit codes (1, 2, 126, 127, N, 128+N) and deaths by signal.

sacct before 25.11 shows exit 128+N as N; scontrol (while it holds the job) shows the real code.
These rules say "N or 128+N" rather than guess when only sacct's value is known.
"""

from __future__ import annotations

from app.diagnose import endings, fixes, logscan
from app.diagnose.diagnosis import Diagnosis, DiagnosisKind
from app.diagnose.facts import JobFacts
from app.diagnose.meanings import EX_TEMPFAIL, SIGNAL_LIKE_CODES, exit_meaning, signal_meaning
from app.model.exit_status import signal_from_exit_code

OUTPUT_OPEN_FAILED_SIGNAL = 53  # what slurmstepd 22.05 reports when it cannot open -o/-e (seen on the testbed)


def _diag(facts: JobFacts, kind: DiagnosisKind, title: str, explanation: str, **kw: object) -> Diagnosis:
    return Diagnosis(kind, title, explanation, evidence=tuple(facts.evidence), **kw)  # type: ignore[arg-type]


def _quote(facts: JobFacts, pattern: object = None, count: int = 2) -> list[str]:
    """Cite matching log lines (or the last lines when none match); returns their texts."""
    lines = logscan.log_lines(facts.logs, pattern) if pattern is not None else []  # type: ignore[arg-type]
    if not lines:
        lines = logscan.log_lines(facts.logs, logscan.ERRORISH) or logscan.last_lines(facts.logs, count)
    chosen = lines[-count:]
    for line in chosen:
        facts.evidence.append(line.evidence())
    return [line.text.strip() for line in chosen]


def by_signal(facts: JobFacts) -> Diagnosis:
    """ExitCode 0:N: the batch script itself died of signal N."""
    number = facts.exit_status.signal
    if number == OUTPUT_OPEN_FAILED_SIGNAL or (facts.never_ran and facts.log_directory_missing):
        return output_not_creatable(facts)
    killed_by_system = facts.steps_cancelled_by(0)
    for step in killed_by_system:
        facts.cite("sacct", f"{step.step_id} State", "CANCELLED by 0")
    if number == 9 and (facts.memory_at_limit() or logscan.log_lines(facts.logs, logscan.OUT_OF_MEMORY)):
        return endings.out_of_memory(facts, "kill")
    name, meaning = signal_meaning(number)
    lines = _quote(facts, logscan.KILLED)
    ambiguous: list[str] = []
    fix: dict[str, str] = {}
    suggestion: str
    if name == "SIGKILL":
        facts.cite_memory()
        ambiguous.append("Accounting does not record who sent SIGKILL.")
        if killed_by_system:
            ambiguous.append(
                "Its step was cancelled by root: on clusters without cgroups this is how the memory "
                "enforcer kills, but the recorded peak memory is not near the request."
            )
        suggestion = "Check whether someone ran kill -9, and compare the job's memory with its request."
    elif name in ("SIGTERM", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGHUP"):
        fix["signal"] = fixes.signal_option(facts.time_limit)
        suggestion = (
            f"If this signal was Slurm's warning (--signal) or a scancel --signal, trap it in the script "
            f"({name.removeprefix('SIG')}), save a checkpoint and exit 75; see the snippet."
        )
        return _diag(
            facts,
            DiagnosisKind.KILLED_BY_SIGNAL,
            f"Killed by {name}",
            f"The batch script was ended by signal {number} ({name}): {meaning}.",
            suggestion=suggestion,
            signal=name,
            handler_snippet=fixes.handler_snippet(facts.time_limit),
            ambiguous=tuple(ambiguous),
        )
    elif name == "SIGSEGV":
        suggestion = "A bug or bad input in the program: run it on a small case under a debugger, enable core dumps."
    else:
        suggestion = "Look at the last lines of the log for what the program was doing."
    said = f' The log ends with: "{lines[-1]}".' if lines else ""
    return _diag(
        facts,
        DiagnosisKind.KILLED_BY_SIGNAL,
        f"Killed by {name}",
        f"The batch script was ended by signal {number} ({name}): {meaning}.{said}",
        suggestion=suggestion,
        signal=name,
        fix_options=fix,
        ambiguous=tuple(ambiguous),
    )


def output_not_creatable(facts: JobFacts) -> Diagnosis:
    facts.cite_time()
    ambiguous: list[str] = []
    path = None
    if facts.controller is not None and facts.controller.std_out:
        path = facts.controller.std_out
        facts.cite("scontrol", "StdOut", path)
        if facts.controller.std_err and facts.controller.std_err != path:
            facts.cite("scontrol", "StdErr", facts.controller.std_err)
    for log in facts.logs:
        if log.directory_exists is False:
            facts.cite("log", "directory", f"{log.path}: its directory does not exist")
    if path is None:
        ambiguous.append(
            "Slurm 22.05 accounting does not keep the output path (only the controller does, for "
            "MinJobAge seconds after the end); signal 53 without run time is what a failed open gives."
        )
    where = f" ({path})" if path else ""
    return _diag(
        facts,
        DiagnosisKind.OUTPUT_NOT_CREATABLE,
        "Output file could not be created",
        f"Slurm could not open the job's output file{where} on the node, so the script never ran "
        "(FAILED at once, no run time, no log). Usually its directory does not exist or is not writable by you.",
        suggestion="Create the directory first (mkdir -p), or point -o/--output and -e/--error at a writable place; "
        "Slurm does not create directories for them.",
        ambiguous=tuple(ambiguous),
        signal=f"signal {facts.exit_status.signal}",
    )


def by_exit_code(facts: JobFacts) -> Diagnosis:
    """ExitCode N:0 with N != 0."""
    codes = facts.possible_codes()
    code = codes[0]
    oom_lines = logscan.log_lines(facts.logs, logscan.OUT_OF_MEMORY)
    if oom_lines:
        return endings.out_of_memory(facts, "log")
    if facts.exit_from_controller and code > 128:
        return _exit_signal(facts, code)
    if not facts.exit_from_controller and code in SIGNAL_LIKE_CODES:
        if code == 9 and facts.memory_at_limit():
            facts.cite_memory()
            return endings.out_of_memory(facts, "exit")
        return _ambiguous(facts, code)
    if code == 127:
        lines = _quote(facts, logscan.COMMAND_NOT_FOUND)
        said = f': "{lines[-1]}"' if lines else ""
        return _diag(
            facts,
            DiagnosisKind.COMMAND_NOT_FOUND,
            "Command not found (exit 127)",
            f"The script exited 127: {exit_meaning(127)}{said}.",
            suggestion="Check the spelling; load the module that provides it inside the script "
            "(module load ...), or call it by its full path. Test with `bash -n` and a short run.",
            exit_codes=(code,),
        )
    if code == 126:
        lines = _quote(facts, logscan.NOT_EXECUTABLE)
        said = f': "{lines[-1]}"' if lines else ""
        return _diag(
            facts,
            DiagnosisKind.NOT_EXECUTABLE,
            "Command not executable (exit 126)",
            f"The script exited 126: {exit_meaning(126)}{said}.",
            suggestion="Make the file executable (chmod +x FILE) or run it through its interpreter "
            "(bash FILE, python3 FILE); check its #! line.",
            exit_codes=(code,),
        )
    if code == EX_TEMPFAIL:
        facts.cite_time()
        return _diag(
            facts,
            DiagnosisKind.CHECKPOINTED,
            "Checkpointed: continue it (exit 75)",
            f"The script exited 75, {exit_meaning(75)}. The work is not finished.",
            suggestion=f"Resubmit it to continue from its checkpoint, or {endings.CHAIN_HINT}.",
            exit_codes=(code,),
        )
    lines = _quote(facts)
    meaning = exit_meaning(code) or "the program or the script's last command chose this code to report a failure"
    said = f' The log ends with: "{lines[-1]}".' if lines else ""
    return _diag(
        facts,
        DiagnosisKind.EXIT_CODE,
        f"Script exited with {code}",
        f"The script exited {code}: {meaning}.{said}",
        suggestion="Read the log around the quoted lines: the program reports why it failed there. "
        "Fix that input or setting and resubmit.",
        exit_codes=(code,),
    )


def _exit_signal(facts: JobFacts, code: int) -> Diagnosis:
    number = signal_from_exit_code(code)
    if number is None:
        return _diag(
            facts,
            DiagnosisKind.EXIT_CODE,
            f"Script exited with {code}",
            f"The script exited {code}, a code above the 128+signal range.",
            exit_codes=(code,),
        )
    if number == 9 and facts.memory_at_limit():
        return endings.out_of_memory(facts, "exit")
    name, meaning = signal_meaning(number)
    lines = _quote(facts, logscan.KILLED)
    ambiguous: list[str] = []
    suggestion = "Find the command that died (the log's last lines) and why."
    fix: dict[str, str] = {}
    if name == "SIGKILL":
        facts.cite_memory()
        percent = facts.memory_percent()
        if percent is not None:
            ambiguous.append(
                f"SIGKILL is most often the out-of-memory killer, but the peak was {percent}% of the "
                "request, so memory does not explain it; accounting does not record who killed it."
            )
        suggestion = (
            "If a command ran out of memory outside Slurm's accounting (e.g. on another host), raise --mem; "
            "else look for who ran kill -9."
        )
    elif name == "SIGXCPU":
        advice = facts.time_advice()
        if advice.new is not None:
            fix["time"] = advice.new.slurm_format()
        suggestion = (
            "A CPU-time limit ended a command: check `ulimit -t` in the job and any per-step --time "
            "(workflow tools such as Torc set one); give it more time."
        )
    said = f' The log ends with: "{lines[-1]}".' if lines else ""
    return _diag(
        facts,
        DiagnosisKind.EXIT_SIGNAL,
        f"A command died of {name} (exit {code})",
        f"The script exited {code} = 128 + {number}: by shell convention a command it ran was ended by "
        f"signal {number} ({name}): {meaning}.{said}",
        suggestion=suggestion,
        fix_options=fix,
        exit_codes=(code,),
        signal=name,
        ambiguous=tuple(ambiguous),
    )


def _ambiguous(facts: JobFacts, code: int) -> Diagnosis:
    name, meaning = signal_meaning(code)
    _quote(facts, logscan.KILLED)
    facts.cite_memory()
    note = (
        f"sacct shows ExitCode {code}:0. Before Slurm 25.11 sacct subtracts 128 from exit codes of 128 and "
        f"more, so the script exited either {code} or {code + 128} (= 128 + {code}: a command killed by {name}). "
        "Only scontrol knows which, and the controller no longer holds this job."
    )
    return _diag(
        facts,
        DiagnosisKind.EXIT_AMBIGUOUS,
        f"Exit {code} or {code + 128}: accounting cannot tell",
        f"{note} If {code + 128}: {meaning}.",
        suggestion="Read the log's last lines to tell which. Run `longrun explain` within MinJobAge of "
        "the job's end next time, while scontrol still has the exact code.",
        exit_codes=(code, code + 128),
        signal=name,
        ambiguous=(note,),
    )
