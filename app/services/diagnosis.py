"""Diagnosis of the dashboard's selected link, made while the service layer builds a snapshot
(in the dashboard's poll thread, never in the UI).

Pure apart from reading the tail of the job's log file. The result is cached
while the job's accounting and its log file's size and mtime are unchanged, so a refresh of a
finished job costs one `stat`.
"""

from __future__ import annotations

import os

from app.diagnose import LogTail, NothingToDiagnose, diagnose
from app.slurm.records import JobAccounting
from app.views import DiagnosisResult

LOG_TAIL_BYTES = 64 * 1024


_cache: dict[tuple[object, ...], DiagnosisResult | None] = {}


def diagnose_focus(acct: JobAccounting | None, log_path: str | None) -> DiagnosisResult | None:
    """Explain `acct` with the tail of its log; None when there is no job to explain."""
    if acct is None:
        return None
    stamp = _file_stamp(log_path)
    key = (acct, log_path, stamp)
    if key in _cache:
        return _cache[key]
    log = read_log_tail(log_path) if log_path else None
    try:
        found = diagnose(acct, logs=(log,) if log else ())
    except NothingToDiagnose:
        result = None
    except Exception as exc:  # a diagnosis bug must not make the whole refresh look stale
        failure = f"The diagnosis failed: {type(exc).__name__}: {exc}"
        result = DiagnosisResult(acct.job_id, "No diagnosis", failure, (), None)
    else:
        result = DiagnosisResult(
            job_id=acct.job_id,
            title=found.title,
            explanation=found.explanation,
            evidence=tuple(str(e) for e in found.evidence),
            suggestion=found.suggestion,
        )
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = result
    return result


def read_log_tail(path: str) -> LogTail:
    """The last LOG_TAIL_BYTES of `path`, or why it could not be read."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            start = max(0, size - LOG_TAIL_BYTES)
            handle.seek(start)
            data = handle.read(LOG_TAIL_BYTES)
    except FileNotFoundError:
        return LogTail(path, problem="no such file", directory_exists=os.path.isdir(directory))
    except OSError as exc:
        return LogTail(path, problem=exc.strerror or str(exc), directory_exists=os.path.isdir(directory))
    text = data.decode("utf-8", errors="replace")
    first_line = 1
    if start > 0:
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first_line = 0  # unknown: the file's head was not read
    return LogTail(path, text=text, directory_exists=True, first_line=max(first_line, 1))


def _file_stamp(path: str | None) -> tuple[int, int] | None:
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)
