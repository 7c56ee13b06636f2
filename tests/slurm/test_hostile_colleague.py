"""A hostile colleague on the real cluster (issue 16): alice attacks bob, bob's files are damaged,
and every attack of the issue is repeated against the code that must hold.

- 16.1 `.longrun/`, `logs/` and symlinks planted in a shared sticky directory: test_workflow_hostile.py;
  a chain planted in a registry the colleague can write, run by your supervisor: here.
- 16.2 markup and terminal escapes in chain names and ids, workflow names, reasons, Slurm job names,
  comment tags, paths and log lines: every dashboard pane and dialog (own, colleague's and
  everybody's view) and every CLI command over a registry on disk: here; the CLI over what Slurm
  holds: test_cli_hostile.py. One corpus: tests/hostile.py.
- 16.3 a chain directory copied while its chain runs: here.
- 16.4 a colleague holding your lock files: test_supervisor_hostile.py.
- 16.5 a FIFO, a device or a directory as a colleague's log (Log pane, explain, `q`): here and
  test_log_paths.py.
- 16.6 damaged registry files (tests/damage_corpus.py) through every command and the dashboard: here;
  statuses() and the supervisor: test_registry_damage.py, test_supervisor_hostile.py.
- 16.7 a crash between a link's end and its decision: test_supervisor_faults.py.
- 16.8 odd job names anywhere on the cluster: test_slurm_client.py; the dashboard's `--all` here.
- 16.9 a job of alice tagged with bob's chain id: test_supervisor_hostile.py; the dashboard's `--all` here.

The dashboard runs in this process under Pilot, with the real service layer and Slurm, as the
viewer it is told to be (the service layer decides what is read-only, not the uid). An attack whose
fix has not landed is marked xfail(strict=True) naming the issue item: the day the fix lands the
test passes, strict xfail turns that into a failure, and the mark comes off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from app.model.chain import ChainSpec
from app.model.policy import Policy
from app.registry import Registry
from app.services import Services, discovery
from app.slurm.client import SlurmClient
from app.tui import LongrunApp
from tests.captures.endings.scenarios import wait_ended
from tests.conftest import USER_PATH, VENV, WORK_ROOT, make_user_dir, run_as, wait_until, write_script
from tests.damage_corpus import build, damaged_ids
from tests.events import record
from tests.hostile import (
    CLICK_TARGET,
    HOSTILE_LOG_LINES,
    HOSTILE_NAMES,
    LITERAL_MARKUP,
    RAW_CONTROL,
    SCREENSHOT_CLICK,
    raw_controls,
)
from tests.slurm.chain_helpers import (
    copy_job,
    final_state,
    longrun,
    queued_ids,
    stop_supervisor,
    submit,
    submitted_ids,
)
from tests.slurm.pilot_dashboard import click_actions, dashboard_app, run_dashboard, screen_text, walk
from tests.tui.helpers import polling, wait_for

QUIET = {"LONGRUN_NO_AUTOSTART": "1"}


@pytest.fixture(autouse=True)
def no_supervisor_from_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGRUN_NO_AUTOSTART", "1")


def chown(path: Path, user: str) -> None:
    subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True, timeout=60)


# -- bob's registry on disk, full of hostile strings, with real jobs behind some of its links -----------
@dataclass(frozen=True)
class Corpus:
    names: tuple[str, ...] = (*HOSTILE_NAMES.values(), SCREENSHOT_CLICK)  # chain names, reasons, job names
    tags: tuple[str, ...] = ("h00", "[/x]\x1b]0;T\x07", "[@click=app.quit]", "\x1b[2Jx", "a\x9bb\nc")  # comments
    log_lines: tuple[bytes, ...] = HOSTILE_LOG_LINES
    out_dir: str = "out[x]\x1b]0;T\x07"  # a directory name: anything but / and NUL
    odd_id: str = "id[@click=app.quit]\x1b[2J"  # a chain id (its directory's name)
    workflow: str = "wf [/x] \x1b]0;WF\x07"


@dataclass(frozen=True)
class Prepared:
    corpus: Corpus
    home: Path  # bob's registry
    ended: str  # bob's job behind chain h01, ended
    pending: list[str]  # bob's pending jobs, pending[0] behind chain h00
    forged: str  # alice's job tagged with bob's chain h00


def colleague_registry(corpus: Corpus) -> Prepared:
    """bob's registry with a chain for every name (as name and decision reason; one odd chain id;
    every third chain in a workflow), every chain's log full of the lines; his jobs named with the
    names, one ended behind chain h01 (it printed the lines into a file under the odd directory
    name), pending ones with the comment tags (h00 is bob's chain h00); alice's job tagged h00."""
    directory = make_user_dir("bob", "hostile")
    out_dir = directory / corpus.out_dir
    out_dir.mkdir()
    log = directory / "hostile.log"
    log.write_bytes(b"\n".join(corpus.log_lines) + b"\n")
    script = write_script(directory, "hostile.sh", f"#!/bin/bash\ncat {log}\nexit 3\n")
    chown(directory, "bob")

    def sbatch(user: str, *options: str) -> str:
        argv = ["sbatch", "--parsable", "-D", str(directory), *options, str(script)]
        return run_as(user, argv, cwd=directory, check=True).stdout.strip().split(";")[0]

    ended = sbatch("bob", "-J", corpus.names[1][:200], "-o", f"{out_dir}/%j.out", "--time=1")
    later = ["--begin=now+2hours", "-o", "/dev/null"]
    pending = [sbatch("bob", *later, "-J", name[:200], f"--comment=longrun:{tag}:1")
               for name, tag in zip(corpus.names, corpus.tags, strict=False)]  # fmt: skip
    forged = sbatch("alice", *later, "--comment=longrun:h00:9")
    reg = Registry(directory / "reg")
    ids = [f"h{i:02d}" for i in range(len(corpus.names))] + [corpus.odd_id]
    for i, (chain_id, name) in enumerate(zip(ids, [*corpus.names, "plain"], strict=True)):
        reg.create_chain(ChainSpec(
            chain_id=chain_id, name=name, owner="bob", script=str(script), workdir=str(directory),
            sbatch_options=("-o", str(log)), policy=Policy(), created=datetime(2026, 1, 1, tzinfo=UTC),
            workflow=corpus.workflow if i % 3 == 0 else None,
        ))  # fmt: skip
        job_id = {0: pending[0], 1: ended}.get(i, str(99_999_700 + i))
        record(reg, chain_id, "submit_intent", attempt=1)
        record(reg, chain_id, "submitted", attempt=1, job_id=job_id)
        if i != 0:
            record(reg, chain_id, "observed_end", attempt=1, job_id=job_id, state="FAILED", exit="3:0", elapsed=5)
            record(reg, chain_id, "decision", attempt=1, outcome="needs_person", reason=name)
    chown(directory, "bob")
    wait_ended([ended], 300)
    return Prepared(corpus, directory / "reg", ended, pending, forged)


def forget_jobs(made: Prepared) -> None:
    run_as("bob", ["scancel", *made.pending])
    run_as("alice", ["scancel", made.forged])


@pytest.fixture(scope="module")
def hostile_bob() -> Iterator[Prepared]:
    made = colleague_registry(Corpus())
    yield made
    forget_jobs(made)


@pytest.mark.parametrize("size", [(200, 50), (80, 24)], ids=["200x50", "80x24"])
@pytest.mark.parametrize("view", ["colleague", "own", "everybody"])
def test_hostile_strings_in_every_dashboard_pane_stay_inert(
    hostile_bob: Prepared, view: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """alice views bob's chains (read-only), bob his own (with dialogs), alice everybody's (rebuilt from
    Slurm: forged tags, odd job names, her job tagged with bob's chain id): every row selected, every
    pane drawn; no control character reaches the screen, no markup is parsed or made clickable, and
    the bracketed names are shown as written."""
    home = hostile_bob.home
    viewer, user, own = {"colleague": ("alice", "bob", tmp_path), "own": ("bob", "bob", home),
                         "everybody": ("alice", None, tmp_path)}[view]  # fmt: skip
    app = dashboard_app(viewer, user, own, home, monkeypatch)
    seen: list[str] = []

    # everybody's view holds every tagged job on the cluster: visit bob's forged tags and alice's
    forged = [f"bob/{tag}" for tag in hostile_bob.corpus.tags] + ["alice/h00"] if view == "everybody" else None

    async def scenario(pilot: Pilot[None]) -> None:
        await walk(pilot, app, seen, forged)
        if view == "own":  # dialogs quote the chain's name
            for key, action in (("c", "cancel_chain"), ("s", "signal"), ("i", "reinit")):
                if app.check_action(action, ()) is not True:
                    continue  # greyed out for this chain (no live job to signal): the key does nothing
                await pilot.press(key)
                await wait_for(pilot, lambda: app.screen.is_modal, what=f"the dialog of {key}")
                seen.append(screen_text(app))
                assert raw_controls(seen[-1]) == [] and click_actions(app) == []
                await pilot.press("escape")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.is_modal, what="the help screen")
        await pilot.press("escape")

    run_dashboard(app, size, scenario)
    assert not os.path.exists(CLICK_TARGET)
    if size[0] >= 200 and view != "everybody":
        shown = "\n".join(seen)
        assert [m for m in LITERAL_MARKUP if m not in shown] == [], "bracketed names are shown as written"


# -- the command line over the same registry and jobs --------------------------------------------------
def longrun_bytes(user: str, home: Path, *argv: str) -> subprocess.CompletedProcess[bytes]:
    """`longrun ARGV` as `user` with LONGRUN_HOME=home, output as bytes (what reaches the terminal)."""
    env = {"PATH": USER_PATH, "LANG": "C.UTF-8",
           "HOME": f"/home/{user}", "USER": user, "LONGRUN_HOME": str(home), "COLUMNS": "200", **QUIET}  # fmt: skip
    full = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), "longrun", *argv]
    return subprocess.run(full, capture_output=True, timeout=120, cwd="/tmp")


def problems_of(proc: subprocess.CompletedProcess[bytes], what: str) -> list[str]:
    """Raw control sequences in its output, a traceback, an exit code other than 0-3 (3: Slurm said no,
    e.g. a signal to a job that is completing)."""
    found = []
    for stream, data in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        if raw := RAW_CONTROL.search(data):
            around = data[max(0, raw.start() - 40) : raw.end() + 40]
            found.append(f"{what}: raw {raw.group()!r} on {stream}: {around!r}")
    if b"Traceback" in proc.stderr or proc.returncode not in (0, 1, 2, 3):
        found.append(f"{what}: exit {proc.returncode}: {proc.stderr[-300:]!r}")
    return found


def own_copy(hostile_bob: Prepared, label: str) -> Path:
    """A copy of bob's hostile registry for commands that change it (the module's stays as it is)."""
    copy = WORK_ROOT / "bob" / f"{label}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(hostile_bob.home, copy, symlinks=True)
    chown(copy, "bob")
    return copy


def test_every_command_prints_the_hostile_registry_inert(hostile_bob: Prepared) -> None:
    """bob's commands over his registry (names, ids, reasons, a log full of escapes), by id and by
    hostile name, and alice's view of everybody (forged tags, odd job names): nothing raw."""
    home = own_copy(hostile_bob, "hostile-cli")
    corpus = hostile_bob.corpus
    refs = [corpus.odd_id, corpus.names[5], corpus.names[-1], "h07"]  # four chains, two by their names
    runs = [["status"], ["status", "--json"], ["explain", hostile_bob.ended], ["explain", hostile_bob.ended, "--json"],
            ["explain", hostile_bob.pending[0]]]  # fmt: skip
    runs += [[action, ref, *extra] for ref in refs for action, *extra in (["signal", "USR1"], ["cancel"], ["reinit"])]
    failures = [f for argv in runs for f in problems_of(longrun_bytes("bob", home, *argv), f"longrun {argv!r}")]
    failures += problems_of(longrun_bytes("alice", home.parent / "none", "status", "--all"), "alice: status --all")
    assert not failures, "\n".join(failures)


def test_workflow_status_prints_the_hostile_registry_inert(hostile_bob: Prepared) -> None:
    proc = longrun_bytes("bob", hostile_bob.home, "workflow", "status", hostile_bob.corpus.workflow)
    assert proc.returncode == 0 and problems_of(proc, "longrun workflow status") == [], proc.stdout[-300:]


# -- a damaged registry (tests/damage_corpus.py) through every command and the dashboard ---------------
COMMANDS = (
    ["status"], ["status", "--json"], ["cancel", "{id}"], ["signal", "{id}", "USR1"], ["resubmit", "{id}"],
    ["reinit", "{id}"], ["stop", "{id}"], ["archive", "{id}"], ["report", "{id}"], ["workflow", "status", "{id}"],
)  # fmt: skip


# `status` reads every damaged chain; the actions, which all go through the same reading of one
# chain, get one damage of each family (each command costs an interpreter start on a loaded machine).
ACTED_ON = ["dmg-spec_is_a_fifo", "dmg-spec_nested_100k_deep", "dmg-policy_grow_mem_nan", "dmg-events_attempt_one",
            "dmg-events_is_a_directory", "dmg-chain_dir_is_a_file", "good.bak"]  # fmt: skip


@pytest.fixture(scope="module")
def damaged_bob() -> Path:
    home = make_user_dir("bob", "damaged") / "reg"
    build(home, "bob")
    chown(home.parent, "bob")
    return home


def available(command: str) -> bool:
    return run_as("bob", ["longrun", command, "--help"], env=QUIET).returncode == 0


def test_a_damaged_registry_through_every_command(damaged_bob: Path) -> None:
    """Every command on damaged chains: a clear line and an exit code, never a traceback, never an
    action; what is damaged is left as it is (the files are compared before and after)."""
    before = {p: p.read_bytes() for p in damaged_bob.rglob("*") if p.is_file() and not p.is_fifo()}
    runs = [
        ([part.replace("{id}", chain_id) for part in template], bool(chain_id))
        for template in COMMANDS
        if available(template[0])  # stop, archive, report: commands of a later version
        for chain_id in (ACTED_ON if "{id}" in template else [""])
    ]

    def problems(argv: list[str], on_a_chain: bool) -> list[str]:
        proc = longrun_bytes("bob", damaged_bob, *argv)
        acted = [f"longrun {argv!r} acted on a damaged chain"] if on_a_chain and proc.returncode == 0 else []
        return problems_of(proc, f"longrun {argv!r}") + acted

    with ThreadPoolExecutor(4) as pool:
        failures = [problem for found in pool.map(lambda run: problems(*run), runs) for problem in found]
    assert not failures, "\n".join(failures)
    after = {p: p.read_bytes() for p in before}
    assert [str(p) for p in before if before[p] != after[p]] == [], "damaged files are never rewritten"


@pytest.mark.parametrize("view", ["own", "colleague"])
def test_a_damaged_registry_in_the_dashboard(damaged_bob: Path, view: str, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:  # fmt: skip
    viewer, own = ("bob", damaged_bob) if view == "own" else ("alice", tmp_path)
    app = dashboard_app(viewer, "bob", own, damaged_bob, monkeypatch)
    seen: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await wait_for(pilot, lambda: "bob/good" in app.dashboard.chain_list.rows, timeout=120, what="the good chain")
        # A colleague's damaged chains are looked up in Slurm, which holds whatever bob's jobs were named
        # (the hostile tests' among them): showing those literally is their subject, not this test's.
        await walk(pilot, app, seen, None if view == "own" else ["bob/good"], inert=view == "own")

    run_dashboard(app, (160, 48), scenario)
    if view == "own":  # a colleague's damaged chains are rebuilt from Slurm instead (with a note)
        assert any(f"{len(damaged_ids())} chains unreadable" in text for text in seen), seen[-1][-400:]


# -- a colleague's log that is a FIFO, a device or a directory -----------------------------------------
REPO = Path(__file__).resolve().parents[2]


def watch_odd_logs(colleague: str, logs: dict[str, str]) -> dict[str, object]:
    """The dashboard (bob's, looking at alice's chains, Log pane shown) on each chain in turn: what the
    Log pane said, and whether polls went on. Run in a process of its own, so a hang is a timeout."""
    setattr(discovery, "default_home", lambda user=None: Path(colleague))  # noqa: B010 (as monkeypatch does)
    app = LongrunApp(Services(viewer="bob", slurm=SlurmClient(), home=Path(colleague) / "bob-own"), "alice",
                     me="bob", interval=1.0, show_log=True)  # fmt: skip
    said: dict[str, object] = {}

    async def scenario(pilot: Pilot[None]) -> None:
        from widgets.log_tail import LogTail

        chains = app.dashboard.chain_list
        for chain_id, path in logs.items():
            await wait_for(pilot, lambda: f"alice/{chain_id}" in chains.rows, timeout=120, what=chain_id)  # noqa: B023
            chains.move_cursor(row=chains.get_row_index(f"alice/{chain_id}"))
            pane = app.query_one(LogTail)
            noticed = lambda p=pane, f=path: p.path == f and any("not a regular file" in x for x in p.lines)  # noqa: E731
            await wait_for(pilot, noticed, timeout=60, what=f"the Log pane's notice for {chain_id}")
            said[chain_id] = list(pane.lines)
        snapshot = app.dashboard.snapshot
        assert snapshot is not None
        await wait_for(pilot, lambda: app.dashboard.snapshot is not snapshot and not polling(app), timeout=60,
                       what="a poll after the odd logs were opened")  # fmt: skip

    run_dashboard(app, (140, 40), scenario)
    return said


def test_a_fifo_a_device_or_a_directory_as_a_colleagues_log(alice_dir: Path) -> None:
    """alice's chains log into a FIFO, /dev/zero and a directory; bob explains her job and views her
    chains with the Log pane open: nothing blocks, polls go on, `q` quits (both have time bounds)."""
    script = write_script(alice_dir, "quick.sh", "#!/bin/bash\necho done\n", owner="alice")
    fifo, zero, folder = alice_dir / "fifo.log", alice_dir / "zero.log", alice_dir / "dir.log"
    job_id = run_as("alice", ["sbatch", "--parsable", "-D", str(alice_dir), "-o", str(fifo), str(script)],
                    check=True).stdout.strip()  # fmt: skip
    wait_ended([job_id], 300)
    run_as("alice", ["bash", "-c", f"rm {fifo} && mkfifo -m 644 {fifo} && ln -s /dev/zero {zero} && mkdir {folder}"],
           check=True)  # fmt: skip
    reg = Registry(alice_dir / "reg")
    for chain_id, log in (("f-fifo", fifo), ("f-zero", zero), ("f-dir", folder)):
        options = ("-o", str(log))
        reg.create_chain(ChainSpec(chain_id=chain_id, name=chain_id, owner="alice", script=str(script),
                                   workdir=str(alice_dir), sbatch_options=options, policy=Policy()))  # fmt: skip
        linked = job_id if chain_id == "f-fifo" else str(99_999_690 + len(chain_id))
        record(reg, chain_id, "submit_intent", attempt=1)
        record(reg, chain_id, "submitted", attempt=1, job_id=linked)
        record(reg, chain_id, "observed_end", attempt=1, job_id=linked, state="COMPLETED", exit="0:0", elapsed=1)
        record(reg, chain_id, "decision", attempt=1, outcome="finished", reason="completed")
    chown(alice_dir / "reg", "alice")

    explained = run_as("bob", ["longrun", "explain", job_id, "--json"], env=QUIET, timeout=120)
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)["logs"][0]["problem"].startswith("not a regular file (a FIFO)")

    logs = json.dumps({"f-fifo": str(fifo), "f-zero": str(zero), "f-dir": str(folder)})
    driver = [str(VENV / "bin" / "python"), "-m", "tests.slurm.test_hostile_colleague", "odd-logs",
              str(alice_dir / "reg"), logs]  # fmt: skip
    proc = subprocess.run(driver, cwd=REPO, capture_output=True, text=True, timeout=400, env={**os.environ, **QUIET})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    said = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "(a FIFO)" in str(said["f-fifo"]) and "(a device)" in str(said["f-zero"])
    assert "(a directory)" in str(said["f-dir"]), said


# -- a copied chain directory while its chain runs -----------------------------------------------------
def test_a_chain_directory_copied_while_its_chain_runs(bob_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bob backs up a live chain (`cp -a chains/ID chains/ID.bak`): the chain goes on with exactly its
    links, the copy is reported as damaged and never touched, the dashboard shows the chain once."""
    job = copy_job(bob_dir, "first_link_exits.sh", "bob")
    try:
        chain_id, _ = submit("bob", bob_dir, "--min-link-seconds", "0", "--max-restarts", "3", "--time=1", "-o",
                             str(bob_dir / "%j.out"), str(job), "20")  # fmt: skip
        chains = bob_dir / "reg" / "chains"
        wait_until(lambda: len(submitted_ids(bob_dir, chain_id)) == 1, 120, what="the first link submitted")
        run_as("bob", ["cp", "-a", str(chains / chain_id), str(chains / f"{chain_id}.bak")], check=True)
        copied = (chains / f"{chain_id}.bak" / "events.jsonl").read_bytes()
        chain = wait_until(lambda: final_state("bob", bob_dir, chain_id, damaged=True), 300, interval=2, what="done")
        assert isinstance(chain, dict) and chain["state"] == "DONE", chain
        assert len(submitted_ids(bob_dir, chain_id)) == 2, "exactly the chain's own two links"
        assert (chains / f"{chain_id}.bak" / "events.jsonl").read_bytes() == copied, "the copy is never written"
        shown = longrun("bob", bob_dir, "status", env=QUIET)
        assert shown.returncode == 1 and f"{chain_id}.bak" in shown.stderr and "Traceback" not in shown.stderr
        jobs = run_as("bob", ["sacct", "-n", "-X", "-P", "-u", "bob", "-S", "now-1hour", "-o", "JobID,Comment"]).stdout
        tagged = {
            row.split("|", 1)[0]
            for row in jobs.splitlines()
            if row.split("|", 1)[-1].startswith(f"longrun:{chain_id}:")
        }
        # every job with the chain's tag is one the chain recorded, none came from the copy (in Slurm
        # mode the chain also recorded the successors queued behind its links, cancelled when it
        # finished; sacct may not list a job cancelled before it started)
        assert tagged and tagged <= set(queued_ids(bob_dir, chain_id)), (tagged, queued_ids(bob_dir, chain_id))
    finally:
        stop_supervisor(bob_dir)
    app = dashboard_app("bob", "bob", bob_dir / "reg", bob_dir / "reg", monkeypatch)
    seen: list[str] = []
    run_dashboard(app, (120, 36), lambda pilot: walk(pilot, app, seen))
    assert [k for k in app.dashboard.chain_list.rows if chain_id in str(k.value)] == [f"bob/{chain_id}"]


# -- a chain planted in a registry the colleague can write ---------------------------------------------
def test_a_chain_planted_by_a_colleague_never_runs_as_you() -> None:
    """bob keeps his registry in a shared sticky directory where alice made it first (so its chains/
    is hers, and writable); she plants a chain there whose script is hers. bob's supervisor must not
    submit it as bob: longrun refuses a registry others can write, or skips chains that are not his."""
    shared = WORK_ROOT / f"shared-reg-{uuid.uuid4().hex[:8]}"
    shared.mkdir(mode=0o1777)
    os.chmod(shared, 0o1777)
    home, mine = shared / "reg", shared / "alice"
    run_as("alice", ["mkdir", "-m", "777", str(home), str(home / "chains"), str(mine)], check=True)
    evil = write_script(mine, "evil.sh", f"#!/bin/bash\nid -un > {mine}/ran-as-$(id -un)\n", owner="alice")
    planted_id = f"planted{uuid.uuid4().hex[:8]}"  # unique: sacct also lists earlier runs' jobs
    planted = home / "chains" / planted_id
    spec = ChainSpec(chain_id=planted_id, name="innocent", owner="bob", script=str(evil), workdir=str(mine),
                     sbatch_options=("--time=1", "-o", "/dev/null"), policy=Policy())  # fmt: skip
    Registry(shared / "staging").create_chain(spec)
    shutil.copytree(shared / "staging" / "chains" / planted_id, planted)
    for path in (planted, *planted.iterdir()):
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    chown(planted, "alice")
    bob = shared / "bob"
    bob.mkdir()
    job = copy_job(bob, "exit_code.sh", "bob")
    chown(bob, "bob")
    try:
        proc = longrun("bob", bob, "submit", "--json", "--time=1", "-o", "/dev/null", str(job), "0", "1", home=home)
        if proc.returncode == 0:  # the registry was used: bob's supervisor must leave the planted chain alone
            own = json.loads(proc.stdout)["chain_id"]

            def finished() -> bool:  # `status` may exit 1, naming the planted chain as damaged
                shown = longrun("bob", bob, "status", "--json", env=QUIET, home=home)
                return any(c["chain_id"] == own and c["state"] == "DONE" for c in json.loads(shown.stdout or "[]"))

            wait_until(finished, 300, interval=2, what="bob's own chain to finish (his supervisor ran cycles)")
        else:
            assert "Traceback" not in proc.stderr and "belongs to" in proc.stderr, proc.stderr
        assert not list(mine.glob("ran-as-*")), "alice's script ran as bob"
        tagged = run_as("bob", ["sacct", "-n", "-X", "-P", "-u", "bob", "-S", "now-1hour", "-o", "Comment"]).stdout
        assert f"longrun:{planted_id}:" not in tagged
    finally:
        stop_supervisor(shared)  # its registry is shared/reg


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "odd-logs":
    print(json.dumps(watch_odd_logs(sys.argv[2], json.loads(sys.argv[3]))))
