"""The Chains pane keys rows by (owner, chain id): two users' chains with one id (a comment tag is
free text, so a colleague's job may carry your chain's id) are two rows, never a DuplicateKey."""

from __future__ import annotations

from textual.app import App, ComposeResult

from app.model.chain import ChainState
from app.model.units import Duration
from app.views import ChainView
from widgets.chain_list import ChainList


def view(owner: str, chain_id: str = "abc12345", name: str = "train") -> ChainView:
    return ChainView(chain_id=chain_id, name=name, owner=owner, state=ChainState.RUNNING, reason=None, attempt=1,
                     max_restarts=None, total_run_time=Duration(0), time_left=None, workflow=None, links=(),
                     read_only=True)  # fmt: skip


class OnlyChains(App[None]):
    def compose(self) -> ComposeResult:
        yield ChainList(id="chains")


async def test_two_owners_may_share_a_chain_id() -> None:
    app = OnlyChains()
    async with app.run_test() as pilot:
        chains = app.query_one(ChainList)
        chains.show_chains([view("bob"), view("alice", name="forged")], with_owner=True)
        await pilot.pause()
        assert chains.row_count == 2
        assert chains.selected_chain() == view("bob")
        chains.move_cursor(row=1)
        assert chains.selected_chain() == view("alice", name="forged")
        chains.show_chains([view("alice", name="forged"), view("bob")], with_owner=True)  # a refresh reorders
        await pilot.pause()
        assert chains.row_count == 2 and chains.selected_chain() == view("alice", name="forged")
