"""Running the chain's job script inside the link's job, as the batch script would have run.

The script runs as the wrapper's child with the job's environment plus the chain's variables,
in the job's working directory, with the job's stdin and output files. Every signal the wrapper
gets is passed on to the script: the batch shell's signals (`--signal=B:...`, `scancel --batch`,
`longrun signal`, and on the test cluster the time limit's SIGTERM too) reach only the wrapper.
Seen on the test cluster: Slurm sometimes sends SIGCONT before a `B:` warning signal as it does
before a job's end, so the two cannot be told apart; a signal Slurm also sends to every process
itself (`scancel --full`) may thus reach the script twice, which beats a checkpoint never made.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from types import FrameType

from app.model.chain import ChainStatus, Link
from app.model.exit_status import ExitStatus

FORWARDED = (
    signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGTERM,
    signal.SIGXCPU, signal.SIGXFSZ, signal.SIGVTALRM, signal.SIGPROF, signal.SIGURG, signal.SIGWINCH,
)  # fmt: skip


def work_environment(status: ChainStatus, link: Link) -> dict[str, str]:
    env = dict(os.environ)
    env["LONGRUN_CHAIN_ID"] = status.chain_id
    env["LONGRUN_ATTEMPT"] = str(link.attempt)
    first = status.first_job_id
    if link.attempt > 1 and first:
        env["SLURM_LONGRUN_INITIAL_JOB_ID"] = first
    else:
        env.pop("SLURM_LONGRUN_INITIAL_JOB_ID", None)
    return env


def script_argv(script: str, args: tuple[str, ...]) -> list[str]:
    """How the kernel would run the script: itself when executable, else its `#!` interpreter
    (sbatch runs a copy it made executable, so a script without the x bit works there too)."""
    if os.access(script, os.X_OK):
        return [script, *args]
    try:
        with open(script, "rb") as fh:
            first = fh.readline(256)
    except OSError:
        return [script, *args]
    if not first.startswith(b"#!"):
        return [script, *args]
    interpreter = first[2:].decode(errors="surrogateescape").strip().split(None, 1)
    return [*interpreter, script, *args] if interpreter else [script, *args]


def run_work(status: ChainStatus, link: Link, say: Callable[[str], None]) -> ExitStatus:
    """Run the chain's script to its end; its exit code, or 0:N when signal N ended it."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if proc is not None and proc.returncode is None:
            try:
                os.kill(proc.pid, signum)
            except OSError:
                return
            say(f"passed {name} on to the script")

    proc: subprocess.Popen[bytes] | None = None
    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        argv = script_argv(status.spec.script, status.spec.args)
        try:
            proc = subprocess.Popen(argv, env=work_environment(status, link), close_fds=True)
        except OSError as exc:
            say(f"cannot run {status.spec.script}: {exc.strerror or exc}")
            return ExitStatus(126 if isinstance(exc, PermissionError) else 127, 0)
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return ExitStatus(0, -code) if code < 0 else ExitStatus(code, 0)
