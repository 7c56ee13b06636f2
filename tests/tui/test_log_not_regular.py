"""A FIFO or a device as a link's log path never blocks the dashboard: neither the Diagnosis pane,
made by the REAL explain pipeline (FocusExplainer, the chain found in a registry on disk, its `-o`
option resolving the log to the FIFO), nor the log follower. Opening a FIFO for reading blocks
until a writer comes; reading /dev/zero never ends: both must be refused as "not a regular file".

The FIFO has no writer during the test: a pipeline that opened it would wait forever, and the
poll's snapshot (with the diagnosis) would never arrive; wait_for then fails after its timeout.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import replace
from pathlib import Path

import pytest

from app.explain.focus import FocusExplainer
from app.model.chain import ChainSpec, ChainState
from app.registry import Registry
from tests.events import record
from tests.tui.fake_services import FakeServices, captured_jobs, link_from
from tests.tui.helpers import make_app, settled, wait_for
from tests.tui.test_first_hour import diagnosis_text, select


@pytest.mark.parametrize("kind", ["fifo", "device"])
async def test_a_log_that_is_no_regular_file_blocks_neither_the_diagnosis_nor_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    log = tmp_path / "train.out"
    if kind == "fifo":
        os.mkfifo(log)
    path = str(log) if kind == "fifo" else "/dev/zero"
    me = getpass.getuser()
    home = tmp_path / "reg"
    monkeypatch.setenv("LONGRUN_HOME", str(home))  # find_chain reads the job owner's registry: ours, here
    script = tmp_path / "train.sh"
    script.write_text("#!/bin/bash\n#SBATCH --time=5\npython3 train.py\n")
    source = captured_jobs()["lrcap-exit3"]  # FAILED 3:0 on the test cluster
    job = replace(source.job, comment="longrun:c-fifo:1", user=me, work_dir=str(tmp_path))
    accounting = replace(source, job=job)
    reg = Registry(home)
    reg.create_chain(ChainSpec(chain_id="c-fifo", name="fifo-train", owner=me, script=str(script),
                               sbatch_options=("-o", path), workdir=str(tmp_path)))  # fmt: skip
    record(reg, "c-fifo", "submit_intent", attempt=1)
    record(reg, "c-fifo", "submitted", attempt=1, job_id=job.job_id)
    link = replace(link_from(accounting, 1, "exit 3", "needs_person: failed with exit code 3"), log_path=path)
    fake = FakeServices(viewer=me)
    template = fake.chains[0]
    chain = replace(template, chain_id="c-fifo", name="fifo-train", owner=me, state=ChainState.STOPPED,
                    reason="failed with exit code 3", links=(link,), attempt=1)  # fmt: skip
    fake.chains = (chain, *(replace(c, owner=me) for c in fake.chains))
    fake.accounting = {**fake.accounting, job.job_id: accounting}
    fake.explainer = FocusExplainer(None)  # the real pipeline, the real find_chain (no fake lookup)
    app = make_app(fake, user=me, me=me, show_log=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settled(pilot, fake)
        await select(pilot, app, "fifo-train")
        await wait_for(pilot, lambda: "Script exited with 3" in diagnosis_text(app), timeout=60, what="the diagnosis")
        body = diagnosis_text(app)
        assert "Link 1 of chain fifo-train" in body, body  # the chain came from the registry on disk
        assert "not a regular file" in body, body  # the log was refused, said as evidence
        shown = app.dashboard.log_tail
        await wait_for(pilot, lambda: "not a regular file" in " ".join(str(line) for line in shown.lines),
                       timeout=60, what="the log pane's refusal")  # fmt: skip
        await pilot.press("ctrl+r")  # still answering: another poll comes back
        await settled(pilot, fake)
