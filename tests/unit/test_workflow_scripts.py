"""Generated job scripts live in the user's registry, created without following symlinks, and a link
runs exactly the script recorded at submit (issue 16 item 1). The attack itself, by a second user
in a shared sticky directory, is tests/slurm/test_workflow_hostile.py."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.model.chain import ChainSpec
from app.registry import Registry, RegistryError
from app.registry.scripts import new_submission_dir, verify_script, write_new
from app.slurm.client import SlurmClient
from app.supervisor.links import submit_link
from app.workflows.loader import load_workflow_text
from app.workflows.run import WorkflowError, own_logs_dir, write_scripts

ALICE_UID = 1_000_001  # any uid that is not ours


def test_each_submission_gets_a_new_private_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    first, second = new_submission_dir(tmp_path, "wf"), new_submission_dir(tmp_path, "wf")
    assert first != second and first.parent == second.parent == tmp_path / "workflows"
    for path in (first, first.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750  # the registry stays group-readable


def test_a_planted_workflows_directory_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    (home / "workflows").symlink_to(elsewhere)
    with pytest.raises(RegistryError, match="not a directory"):
        new_submission_dir(home, "wf")
    (home / "workflows").unlink()
    (home / "workflows").mkdir()
    os.chown(home / "workflows", ALICE_UID, -1)
    with pytest.raises(RegistryError, match="belongs to uid"):
        new_submission_dir(home, "wf")


def test_scripts_are_never_written_through_symlinks_or_into_existing_files(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("mine\n")
    victim.chmod(0o600)
    (tmp_path / "link.sh").symlink_to(victim)
    with pytest.raises(RegistryError):
        write_new(tmp_path, "link.sh", "#!/bin/bash\n")
    assert victim.read_text() == "mine\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    (tmp_path / "there.sh").write_text("old\n")
    with pytest.raises(RegistryError):
        write_new(tmp_path, "there.sh", "new\n")


def test_verify_script_sees_changes_and_symlinks(tmp_path: Path) -> None:
    digest = write_new(tmp_path, "a.sh", "echo a\n")
    assert verify_script(str(tmp_path / "a.sh"), digest) is None
    (tmp_path / "a.sh").write_text("echo evil\n")
    assert "changed since it was submitted" in (verify_script(str(tmp_path / "a.sh"), digest) or "")
    (tmp_path / "a.sh").unlink()
    (tmp_path / "a.sh").symlink_to(tmp_path / "b.sh")
    assert "cannot be opened" in (verify_script(str(tmp_path / "a.sh"), digest) or "")


class NoSlurm(SlurmClient):
    def submit(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
        raise AssertionError("sbatch must not run for a changed script")


def test_a_link_is_refused_before_sbatch_when_its_script_changed(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "reg")
    digest = write_new(tmp_path, "job.sh", "echo ok\n")
    spec = ChainSpec("c1", "wf.job", "alice", str(tmp_path / "job.sh"), workdir=str(tmp_path), script_sha256=digest)
    reg.create_chain(spec)
    (tmp_path / "job.sh").write_text("echo replaced\n")
    assert submit_link(reg, NoSlurm(), reg.status("c1")) is None
    status = reg.status("c1")
    assert status.state.value == "STOPPED" and "changed since it was submitted" in (status.reason or "")


def test_submit_writes_scripts_into_the_registry_not_the_workflow_directory(tmp_path: Path) -> None:
    wf_dir = tmp_path / "wf"
    wf_dir.mkdir()
    wf = load_workflow_text("name: w\njobs:\n  - {name: a, command: echo a}\n", wf_dir / "w.yaml").workflow
    assert wf is not None
    (tmp_path / "reg").mkdir()
    plans = write_scripts(tmp_path / "reg", wf)
    assert plans[0].script_path.parent.parent == tmp_path / "reg" / "workflows"
    assert plans[0].sha256 and verify_script(str(plans[0].script_path), plans[0].sha256) is None
    assert not (wf_dir / ".longrun").exists() and (wf_dir / "logs").is_dir()


def test_a_log_directory_of_someone_else_is_refused(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    os.chown(logs, ALICE_UID, -1)
    with pytest.raises(WorkflowError, match="could redirect your jobs' output"):
        own_logs_dir(logs)
    logs.rmdir()
    logs.symlink_to(tmp_path)
    with pytest.raises(WorkflowError, match="not a directory"):
        own_logs_dir(logs)
