"""Test helpers shared by all suites: the Slurm marker policy, running commands as test users.

Tests that need the real test cluster carry `@pytest.mark.slurm` (everything under tests/slurm/
gets it automatically). Without a cluster they skip on a laptop and FAIL under CI=true.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

VENV = Path(os.environ.get("LONGRUN_VENV", "/opt/longrun-tui/venv"))
TEST_USERS = ("alice", "bob")
WORK_ROOT = Path("/tmp/longrun-tests")
TESTS_DIR = Path(__file__).parent
USER_PATH = f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin"

_cluster_problem: str | bool | None = False  # False: not checked yet


def cluster_problem() -> str | None:
    """None when the test cluster answers; else why not (checked once per process)."""
    global _cluster_problem
    if _cluster_problem is False:
        _cluster_problem = _check_cluster()
    return _cluster_problem  # type: ignore[return-value]


def _check_cluster() -> str | None:
    if shutil.which("scontrol") is None:
        return "Slurm is not installed (run scripts/setup)"
    try:
        ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, timeout=15)
        nodes = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %T"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "Slurm did not answer within 15 s"
    if "UP" not in ping.stdout:
        return f"slurmctld is not up: {ping.stdout.strip() or ping.stderr.strip()}"
    lr1 = [line.split()[1] for line in nodes.stdout.splitlines() if line.startswith("lr1 ") and len(line.split()) > 1]
    if not lr1 or any(bad in lr1[0] for bad in ("down", "drain", "fail", "unknown", "not_responding")):
        return f"node lr1 is not usable: {nodes.stdout.strip()}"
    for user in TEST_USERS:
        if subprocess.run(["id", user], capture_output=True).returncode != 0:
            return f"test user {user} is missing (run scripts/test-cluster up)"
    return None


# Test files whose tests wait minutes for real jobs (chains of 1-minute links): started first, so
# that under xdist they overlap with everything else instead of running last.
LONG_FIRST = (
    "test_packaging.py",
    "test_cluster_basics.py",
    "test_workflows.py",
    "test_chain_runs.py",
    "test_cli_hostile.py",
    "test_hostile_colleague.py",
    "test_supervisor.py",
    "test_explain_endings.py",
    "test_cli_relink.py",
    "test_tui_actions.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/slurm/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.slurm)
        if item.path.name == "test_snapshots.py":
            item.add_marker(pytest.mark.quiet)

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)  # stable: the order inside each file stays


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("slurm") is None:
        return
    problem = cluster_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the Slurm test cluster is required under CI: {problem}", pytrace=False)
    pytest.skip(f"no Slurm test cluster: {problem}")


def run_as(
    user: str,
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run argv as a test user with a clean PATH (no /root paths), like a person at a login node."""
    home = Path("/home") / user
    base = {"PATH": USER_PATH, "HOME": str(home), "USER": user, "LOGNAME": user, "LANG": "C.UTF-8"}
    base.update(env or {})
    full = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in base.items()), *argv]
    proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} as {user} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def make_user_dir(user: str, label: str) -> Path:
    """A fresh directory owned by `user`, world-readable, for job scripts, logs and registries."""
    WORK_ROOT.mkdir(mode=0o777, exist_ok=True)
    os.chmod(WORK_ROOT, 0o1777)
    path = WORK_ROOT / user / f"{label}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    for p in (path.parent, path):
        shutil.chown(p, user, user)
        os.chmod(p, 0o755)
    return path


def write_script(directory: Path, name: str, text: str, owner: str | None = None) -> Path:
    """Write an executable job script into directory (owned by `owner` when given)."""
    path = directory / name
    path.write_text(text)
    os.chmod(path, 0o755)
    if owner:
        shutil.chown(path, owner, owner)
    return path


def wait_until(
    predicate: Callable[[], object], timeout: float, interval: float = 1.0, what: str = "condition"
) -> object:
    """Poll until predicate() is truthy; return its value or fail with `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def alice_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield make_user_dir("alice", request.node.name[:40].replace("/", "_").replace("[", "_").replace("]", ""))


@pytest.fixture
def bob_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    yield make_user_dir("bob", request.node.name[:40].replace("/", "_").replace("[", "_").replace("]", ""))
