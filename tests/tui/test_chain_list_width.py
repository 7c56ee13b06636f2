"""The Chains pane shares its width between the State text and the Progress column: at 160 columns
(the pane about 90 wide, next to the chain's links) the State of a stopped chain stays readable
(`STOPPED: out of memory`) and the Progress column gives up its bar and then its finish time first.
The chain with progress is the real chain branch econ captured (tests/captures/chain_report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.views import ChainView
from tests.tui.fake_services import FakeServices, sample_chains
from tests.tui.helpers import make_app, settled
from tests.unit.test_report import NOW as REPORT_NOW
from tests.unit.test_report import chain_id as report_chain_id
from tests.unit.test_report import services_with_captured_chain
from widgets.chain_list import READABLE_STATE, ChainList, row_key


def with_progress(tmp_path: Path) -> tuple[ChainView, FakeServices]:
    services, _ = services_with_captured_chain(tmp_path)
    econ = services.report(report_chain_id(), now=REPORT_NOW).chain
    return econ, FakeServices(chains=(econ, *sample_chains()))


@pytest.mark.parametrize("size", [(160, 48), (100, 30), (220, 60)])
async def test_the_state_stays_readable_next_to_the_progress_column(tmp_path: Path, size: tuple[int, int]) -> None:
    econ, fake = with_progress(tmp_path)
    app = make_app(fake, show_log=False)
    async with app.run_test(size=size) as pilot:
        await settled(pilot, fake)
        chains = app.query_one(ChainList)
        labels = [str(c.label) for c in chains.columns.values()]
        assert labels[-1] in ("Progress", "Done"), labels
        oom = next(c for c in fake.chains if c.name == "preprocess")
        state = str(chains.get_row(row_key(oom))[1]).rstrip()
        full = f"{oom.state.value}: {oom.reason}"
        assert state == full or len(state.rstrip("…")) >= min(len(full), READABLE_STATE) - 1, (size, state)
        assert "100%" in str(chains.get_row(row_key(econ))[-1]), "the progress itself is always shown"
        if size[0] >= 220:
            assert "█" in str(chains.get_row(row_key(econ))[-1]), "a wide screen keeps the bar"
