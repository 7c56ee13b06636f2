"""Progress, pure (app/model/progress.py): --progress patterns on log lines (ours and the forms real
training and simulation logs print), progress files, and the rate and finish of a whole chain."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.model.progress import (
    MAX_LINE_MATCHED,
    Pace,
    Progress,
    ProgressPatternError,
    compile_progress_pattern,
    estimate,
    last_progress,
    progress_in_line,
    progress_in_text,
)

NOW = datetime(2026, 12, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        (r"step (?P<done>\d+)/(?P<total>\d+)", "step 12/100", Progress(12, 100)),
        (r"step (?P<done>\d+)", "step 12", Progress(12)),
        (r"epoch (\d+) of (\d+)", "epoch 3 of 90, loss 0.12", Progress(3, 90)),
        (r"^(\d+) done", "7 done", Progress(7)),
        (r"(?P<total>\d+) total, (?P<done>\d+) done", "50 total, 5 done", Progress(5, 50)),
        (r"it (?P<done>[\d,]+)/(?P<total>[\d,]+)", "it 1,234/10,000", Progress(1234, 10000)),
        (r"t=(?P<done>[\d.]+) of (?P<total>[\d.]+)", "t=2.5 of 10.0 ns", Progress(2.5, 10)),
        # tqdm, as PyTorch Lightning prints it (with its carriage returns)
        (r"(?P<done>\d+)/(?P<total>\d+) \[", "Epoch 0:  45%|████▌     | 450/1000 [00:12<00:15, 36.1it/s]\r",
         Progress(450, 1000)),
        # a Hugging Face Trainer log line
        (r"'epoch': (?P<done>[\d.]+)", "{'loss': 0.41, 'learning_rate': 4e-05, 'epoch': 1.23}", Progress(1.23)),
        (r"step (?P<done>\d+)/(?P<total>\d+)", "step 3/0", Progress(3)),  # a total of 0 says nothing
    ],
)  # fmt: skip
def test_progress_in_a_line(pattern: str, line: str, expected: Progress) -> None:
    assert progress_in_line(compile_progress_pattern(pattern), line) == expected


@pytest.mark.parametrize(
    ("pattern", "line"),
    [
        (r"step (?P<done>\d+)", "no progress here"),
        (r"step (?P<done>\w+)", "step twelve"),  # matched, but not a number
        (r"step (?P<done>\d+)?x", "step x"),  # the group did not take part
        (r"step (?P<done>-?\d+)", "step -3"),
    ],
)
def test_lines_without_progress(pattern: str, line: str) -> None:
    assert progress_in_line(compile_progress_pattern(pattern), line) is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "needs a regular expression"),
        ("step \\d+", "needs a group"),
        ("step (", "not a regular expression"),
        (r"of (?P<total>\d+)", "no group `done`"),
        ("(a)" * 400, "longer than"),
    ],
)
def test_patterns_that_cannot_give_progress(pattern: str, message: str) -> None:
    with pytest.raises(ProgressPatternError, match=message):
        compile_progress_pattern(pattern)


def test_hostile_lines_are_only_text() -> None:
    pattern = compile_progress_pattern(r"step (?P<done>\d+)/(?P<total>\d+)")
    assert progress_in_line(pattern, "\x1b]0;step 9/9\x07 [@click=app.quit] step 4/8") == Progress(9, 9)
    assert progress_in_line(pattern, "\ufffd\ufffd step 5/8 \udcff") == Progress(5, 8)
    long_line = "x" * 10_000 + " step 5/8"
    assert progress_in_line(pattern, long_line) is None, f"only the first {MAX_LINE_MATCHED} characters are searched"


def test_the_newest_line_counts() -> None:
    pattern = compile_progress_pattern(r"step (?P<done>\d+)/(?P<total>\d+)")
    lines = ["step 1/10", "step 2/10", "checkpoint saved", "step 3/10", "done for now"]
    assert last_progress(pattern, lines) == Progress(3, 10)
    assert last_progress(pattern, []) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", Progress(42)),
        ("42\n", Progress(42)),
        (" 42 / 100 \n", Progress(42, 100)),
        ("3.5/7", Progress(3.5, 7)),
        ("1\n2\n3/10\n\n", Progress(3, 10)),  # a file appended to: the last line
        ("", None),
        ("abc", None),
        ("-3", None),
        ("42/", None),
        ("\x00\x01", None),
    ],
)
def test_progress_files(text: str, expected: Progress | None) -> None:
    assert progress_in_text(text) == expected


def test_percent() -> None:
    assert Progress(1, 3).percent == 33.3
    assert Progress(120, 100).percent == 100.0
    assert Progress(5).percent is None and Progress(5, 0).percent is None
    assert str(Progress(3, 10)) == "3/10" and str(Progress(2.5)) == "2.5"
    assert Progress(10, 10).complete and not Progress(9, 10).complete


def test_estimate_within_the_running_link() -> None:
    pace = Pace(run_seconds=3600, link_run_seconds=7200, gap_seconds=600, running_elapsed=1800)
    found = estimate(Progress(50, 100), pace, NOW)
    assert found.rate_per_hour == 50 and found.remaining_run_seconds == 3600
    assert found.links_to_start == 0 and found.eta == NOW + timedelta(seconds=3600)


def test_estimate_over_more_links_counts_each_gap_and_cuts_the_last_link() -> None:
    pace = Pace(run_seconds=3600, link_run_seconds=3600, gap_seconds=600, running_elapsed=1800)
    found = estimate(Progress(10, 100), pace, NOW)
    assert found.rate_per_hour == 10
    # 9 h of run left: 1800 s in this link, then 8.5 links of 3600 s -> 9 more links, 9 gaps
    assert found.links_to_start == 9
    assert found.eta == NOW + timedelta(seconds=1800 + 9 * 600 + (32400 - 1800))


def test_estimate_while_no_link_runs() -> None:
    pace = Pace(run_seconds=3600, link_run_seconds=3600, gap_seconds=600, waiting_seconds=300)
    found = estimate(Progress(10, 100), pace, NOW)
    assert found.links_to_start == 9
    assert found.eta == NOW + timedelta(seconds=300 + 32400 + 8 * 600)
    unknown_wait = estimate(Progress(10, 100), Pace(3600, 3600, 600), NOW)
    assert unknown_wait.eta == NOW + timedelta(seconds=600 + 32400 + 8 * 600), "the measured gap stands in"


def test_estimate_without_a_limit_per_link() -> None:
    found = estimate(Progress(10, 100), Pace(3600, None, 600, running_elapsed=3600), NOW)
    assert found.links_to_start == 0 and found.eta == NOW + timedelta(hours=9)


def test_estimate_from_a_baseline() -> None:
    pace = Pace(run_seconds=7200, link_run_seconds=None, gap_seconds=0, running_elapsed=100)
    found = estimate(Progress(60, 100), pace, NOW, base_done=40, base_run_seconds=3600)
    assert found.rate_per_hour == 20 and found.eta == NOW + timedelta(hours=2)


@pytest.mark.parametrize(
    ("progress", "run", "rate", "has_eta"),
    [
        (Progress(0, 100), 3600, None, False),  # nothing done yet: no rate
        (Progress(10, 100), 0, None, False),  # no run time yet
        (Progress(10), 3600, 10.0, False),  # no total: a rate, no finish
        (Progress(100, 100), 3600, 100.0, True),  # complete: finished now
    ],
)
def test_estimate_edges(progress: Progress, run: int, rate: float | None, has_eta: bool) -> None:
    found = estimate(progress, Pace(run, 3600, 60, running_elapsed=run), NOW)
    assert found.rate_per_hour == rate
    assert (found.eta is not None) is has_eta


def test_pattern_is_compiled_once_as_given() -> None:
    assert compile_progress_pattern(r"(?i)STEP (\d+)").flags & re.IGNORECASE


def test_estimate_as_of_the_last_report_while_a_link_runs() -> None:
    """A step reported 50 s ago: those 50 s of run have done unreported work, not slowed the rate."""
    pace = Pace(run_seconds=3650, link_run_seconds=None, gap_seconds=0, running_elapsed=650)
    reported = Progress(50, 100, at=NOW - timedelta(seconds=50))
    found = estimate(reported, pace, NOW)
    assert found.rate_per_hour == 50, "50 units in the 3600 s of run up to the report"
    assert found.eta == NOW - timedelta(seconds=50) + timedelta(hours=1)
    stale = estimate(Progress(50, 100, at=NOW - timedelta(hours=5)), pace, NOW)
    assert stale.rate_per_hour == pytest.approx(50 * 3600 / 3000), "never further back than the running link's start"
    between = estimate(reported, Pace(3650, None, 0, waiting_seconds=0), NOW)
    assert between.rate_per_hour == pytest.approx(50 * 3600 / 3650), "no link runs: all run time counts"
    assert Progress(1, 2, at=NOW) == Progress(1, 2), "when it was written is not part of the value"


def test_a_policy_checks_its_pattern() -> None:
    """`longrun submit --progress` and a stored spec both go through the Policy's check."""
    from app.commands.longrun_args import UsageError
    from app.commands.submit import parse_submit_argv
    from app.model.policy import Policy, PolicyError

    assert Policy(progress_regex=r"(?P<done>\d+)").progress_regex == r"(?P<done>\d+)"
    with pytest.raises(PolicyError, match="and a progress file"):
        Policy(progress_regex=r"(\d+)", progress_file="p")
    with pytest.raises(UsageError, match=r"^--progress needs a group for the units done"):
        parse_submit_argv(["--progress", r"step \d+", "job.sh"])
    with pytest.raises(UsageError, match=r"^--progress is not a regular expression"):
        parse_submit_argv(["--progress", "(", "job.sh"])
    request = parse_submit_argv(["--progress", r"it (\d+)/(\d+)", "--time=5", "job.sh"])
    assert request.policy.progress_regex == r"it (\d+)/(\d+)" and request.sbatch_options == ["--time=5"]
