"""Every `longrun` command prints what users, Slurm and files hold literally and inert, on the real
cluster: bob's chains and jobs carry the hostile corpus (tests/hostile.py) in chain names, Slurm
job names and forged comment tags; alice (and bob) run every command over them. Nothing that
reaches the terminal may be a control sequence (OSC title or clipboard, CSI, C1), no bracket may
be read as markup, and no command may die with a traceback.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import USER_PATH, run_as
from tests.hostile import HOSTILE_NAMES, RAW_CONTROL
from tests.slurm.chain_helpers import copy_job
from tests.slurm.team import TEAM_GROUP, cancel_team_jobs, make_team, team_longrun

# Raw job names and comment tags, as anybody's plain sbatch can set them.
FORGED = {
    "osc_title": ("\x1b]0;OWNED\x07job", "longrun:[/x]\x1b]0;T\x07:1"),
    "c1_and_newline": ("a\x9bb\nc", "longrun:\x1b[2Jx:1"),
    "markup": ("[bold red]X[/] [@click=app.quit]", "longrun:[@click=app.quit]:1"),
}


@pytest.fixture(scope="module")
def team() -> Iterator[Path]:
    root = make_team()
    yield root
    cancel_team_jobs(root)


def run_bytes(user: str, root: Path, *argv: str, home: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": USER_PATH, "HOME": f"/home/{user}", "USER": user, "LANG": "C.UTF-8",
           "LONGRUN_HOME": home or f"{root}/%u/reg", "LONGRUN_NO_AUTOSTART": "1"}  # fmt: skip
    full = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), "longrun", *argv]
    return subprocess.run(full, capture_output=True, timeout=120, cwd=root / user)


@pytest.fixture(scope="module")
def corpus(team: Path) -> dict[str, str]:
    """bob's chains named with every hostile string (shared with his team), and his plain sbatch jobs
    with hostile raw names and forged tags; returns the job id of each forged job by key."""
    job = copy_job(team / "bob", "trap_job.sh", "bob")
    for key, name in HOSTILE_NAMES.items():
        proc = team_longrun("bob", team, "submit", "--name", name, "--begin=now+2hours", "--time=5",
                            "-o", f"{team}/bob/%j.out", str(job), "300", env={"LONGRUN_GROUP": TEAM_GROUP})  # fmt: skip
        assert proc.returncode == 0, (key, proc.stderr)
    forged = {}
    for key, (job_name, comment) in FORGED.items():
        proc = run_as("bob", ["sbatch", "--parsable", "--begin=now+2hours", "-o", "/dev/null", f"--job-name={job_name}",
                              f"--comment={comment}", "--wrap", "sleep 1"], cwd=team / "bob", timeout=60)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        forged[key] = proc.stdout.strip().split(";")[0]
    return forged


def commands(corpus: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(user, argv) for every command that prints a user's, Slurm's or a file's string."""
    refs = ["[/x]", HOSTILE_NAMES["osc_title"], HOSTILE_NAMES["c1_csi"], HOSTILE_NAMES["long"]]
    out: list[tuple[str, list[str]]] = [
        ("alice", ["status", "--user", "bob"]),
        ("alice", ["status", "--user", "bob", "--json"]),
        ("alice", ["status", "--all"]),
        ("alice", ["status", "--all", "--json"]),
        ("bob", ["status"]),
        ("bob", ["status", "--json"]),
        ("bob", ["status", "--archived"]),
        ("alice", ["workflow", "status", HOSTILE_NAMES["osc_title"]]),
        ("alice", ["submit", "--after", HOSTILE_NAMES["osc52_clipboard"], "job.sh"]),
        ("alice", ["submit", "--time=1", "/nonexistent/\x1b]0;OWNED\x07.sh"]),
        ("alice", ["submit", "--name", "x", "--time=1", "/nonexistent/x.sh", HOSTILE_NAMES["csi_clear"]]),
    ]
    for ref in refs:
        for action in (["cancel", ref], ["stop", ref], ["signal", ref, "USR1"], ["resubmit", ref, "--mem=1G"],
                       ["reinit", ref], ["archive", ref]):  # fmt: skip
            out.append(("alice", action))
    for ref in refs:  # a colleague's chain by its hostile name, and his own (reports of pending links)
        out += [("alice", ["report", ref, "--user", "bob"]), ("alice", ["report", ref, "--user", "bob", "--json"]),
                ("bob", ["report", ref])]  # fmt: skip
    out += [("alice", ["explain", job_id]) for job_id in corpus.values()]
    out += [("alice", ["explain", job_id, "--json"]) for job_id in corpus.values()]
    out.append(("bob", ["stop", HOSTILE_NAMES["markup_style"]]))  # by name: his own chain
    return out


def test_every_command_prints_hostile_strings_inert(team: Path, corpus: dict[str, str]) -> None:
    failures = []
    private = f"{team}/alice/own-reg"  # without %u: bob's registry is not found, his chains come from Slurm
    runs: list[tuple[str, list[str], str | None]] = [(user, argv, None) for user, argv in commands(corpus)]
    runs += [("alice", ["status", "--user", "bob"], private), ("alice", ["status", "--user", "bob", "--json"], private)]
    for user, argv, home in runs:
        proc = run_bytes(user, team, *argv, home=home)
        what = f"{user} longrun {repr(argv)[:120]}"
        for stream, data in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            raw = RAW_CONTROL.search(data)
            if raw:
                around = data[max(0, raw.start() - 40) : raw.end() + 40]
                failures.append(f"{what}: raw {raw.group()!r} on {stream}: {around!r}")
        if b"Traceback" in proc.stderr or proc.returncode not in (0, 1, 2):
            failures.append(f"{what}: rc {proc.returncode}: {proc.stderr[-300:]!r}")
    assert not failures, "\n".join(failures)


def test_hostile_names_show_as_written(team: Path, corpus: dict[str, str]) -> None:
    proc = run_bytes("alice", team, "status", "--user", "bob", "--json")
    assert proc.returncode == 0, proc.stderr
    chains = json.loads(proc.stdout)
    names = {chain["name"] for chain in chains}
    assert set(HOSTILE_NAMES.values()) <= names, "JSON keeps every name exactly (escaped by JSON itself)"
    everybody = json.loads(run_bytes("alice", team, "status", "--all", "--json").stdout)
    forged_ids = {chain["chain_id"] for chain in everybody if chain["owner"] == "bob"}
    assert {"[/x]\x1b]0;T\x07", "[@click=app.quit]", "\x1b[2Jx"} <= forged_ids, "forged tags shown, not dropped"

    wide = subprocess.run(
        ["runuser", "-u", "alice", "--", "env", "-i", f"PATH={USER_PATH}", "HOME=/home/alice", "COLUMNS=20000",
         "LANG=C.UTF-8", f"LONGRUN_HOME={team}/%u/reg", "LONGRUN_NO_AUTOSTART=1", "longrun", "status", "--user",
         "bob"], capture_output=True, text=True, timeout=120, cwd=team / "alice",
    )  # fmt: skip
    assert wide.returncode == 0, wide.stderr
    for shown in ("\\x1b]0;OWNED\\x07title", "[bold red]X[/] [@click=app.quit]", "[/x]", "sweep[lr=3e-4]",
                  "\\x9b31mc1", "two\\nlines", "trailing\\ ", "[link=file:///etc/passwd]click[/link]"):  # fmt: skip
        assert shown in wide.stdout, f"{shown!r} not shown literally"
