"""Creating a chain: check the script and the upstream chains, record the chain, submit its first link."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.explain.sbatch_options import merged
from app.explain.scripts import read_script
from app.model.chain import MODE_SLURM, ChainSpec
from app.model.policy import Policy
from app.model.text import inert
from app.registry import RegistryError
from app.services.base import ActionRefused, ServiceBase
from app.supervisor.launcher import LAUNCHER_FILE, LauncherError, launcher_text
from app.supervisor.links import submit_link
from app.supervisor.modes import ModeError, default_mode

JOB_NAME_CHARS = 200  # sbatch refuses a job name over 1024 bytes; slurmdbd keeps 255


class ChainCreation(ServiceBase):
    def submit(
        self,
        script: str,
        args: Sequence[str] = (),
        sbatch_options: Sequence[str] = (),
        policy: Policy | None = None,
        name: str | None = None,
        workdir: str | None = None,
        workflow: str | None = None,
        depends_on: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        script_sha256: str | None = None,
        mode: str | None = None,
        notify: Sequence[str] = (),
    ) -> tuple[str, str | None]:
        """Create a chain and submit its first link (unless it waits for upstream chains).
        `script_sha256`: every link must run exactly this script (workflow jobs' generated scripts).
        `mode`: MODE_SLURM or MODE_SUPERVISOR (default: the user's, app.supervisor.modes).
        `notify`: argv run when the chain stops or finishes.

        Returns (chain id, job id or None). sbatch refusing the first link removes the chain and
        raises ActionRefused with Slurm's message; Slurm unreachable keeps it (the supervisor
        submits it later) and re-raises.
        """
        workdir = str(Path(workdir or os.getcwd()).resolve())
        path = Path(script)
        if not path.is_absolute():
            path = Path(workdir) / path
        if not path.is_file():
            what = "not a regular file" if path.exists() else "no such file"
            raise ActionRefused(f"no such job script: {path} ({what})")
        if not os.access(path, os.R_OK):
            raise ActionRefused(f"cannot read job script: {path}")
        for upstream in depends_on:
            try:
                self.registry.load_spec(upstream)
            except RegistryError:
                raise ActionRefused(f"upstream chain {upstream} is not in your registry") from None
        self.registry.ensure_dirs()  # a registry that cannot be made is the first thing to say
        mode, launcher, launcher_file = chain_launcher(mode, path)
        if (name or launcher_file is not None) and not names_its_job(sbatch_options, path):
            # a colleague sees the chain's name in squeue/sacct, not the script's file name (nor
            # `link`, the launcher's, which sbatch would take when the links run through the wrapper)
            sbatch_options = (*sbatch_options, f"--job-name={inert(name or path.name)[:JOB_NAME_CHARS]}")
        spec = ChainSpec(
            chain_id=uuid.uuid4().hex[:8],
            name=name or path.name,
            owner=self.viewer,
            script=str(path),
            args=tuple(args),
            sbatch_options=tuple(sbatch_options),
            workdir=workdir,
            policy=policy or Policy(),
            created=datetime.now(UTC),
            workflow=workflow,
            depends_on=tuple(depends_on),
            script_sha256=script_sha256,
            mode=mode,
            launcher=launcher,
            notify=tuple(notify),
        )
        files = {LAUNCHER_FILE: (launcher_file, 0o700)} if launcher_file is not None else {}
        self.registry.create_chain(spec, env=dict(env if env is not None else os.environ), files=files)
        if depends_on:
            return spec.chain_id, None
        with self.registry.chain_lock(spec.chain_id):
            status = self.registry.status(spec.chain_id)
            if status.links:  # a supervisor cycle got here first (the chain was visible before our lock)
                return spec.chain_id, status.links[-1].job_id
            job_id = submit_link(self.registry, self.slurm, status)
        if job_id is None:
            reason = self.registry.status(spec.chain_id).reason
            self.registry.delete_chain(spec.chain_id)
            raise ActionRefused(reason or "sbatch refused the job")
        return spec.chain_id, job_id


def names_its_job(sbatch_options: Sequence[str], script: Path) -> bool:
    """Whether -J/--job-name is given on the command line or in the script's #SBATCH lines."""
    found = read_script(str(script))
    return "job-name" in merged(sbatch_options, found.directives if found else ())


def chain_launcher(mode: str | None, script: Path) -> tuple[str, str | None, bytes | None]:
    """(mode, launcher interpreter, launcher file): links run through the wrapper with this
    process's Python. A supervised chain whose Python cannot be a `#!` line runs unwrapped."""
    try:
        chosen = mode or default_mode()
    except ModeError as exc:
        raise ActionRefused(str(exc)) from None
    try:
        return chosen, sys.executable, launcher_text(sys.executable, script)
    except LauncherError as exc:
        if chosen == MODE_SLURM:
            raise ActionRefused(f"{exc}: chains cannot continue inside Slurm; use --mode supervisor") from None
        return chosen, None, None
