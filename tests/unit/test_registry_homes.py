"""Where each user's registry is: LONGRUN_HOME (with %u for a team's shared layout), else the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.registry import default_home
from app.registry.sharing import colleague_home, current_user, expand_home


def test_a_team_layout_with_percent_u_finds_every_members_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGRUN_HOME", "/project/ml/longrun/%u")
    assert default_home() == Path(f"/project/ml/longrun/{current_user()}")
    assert default_home("bob") == Path("/project/ml/longrun/bob")
    assert expand_home("/x/100%%/%u/%u", "bob") == Path("/x/100%/bob/bob")


def test_without_percent_u_a_colleagues_registry_is_their_default_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LONGRUN_HOME", "/tmp/mine")
    assert default_home() == Path("/tmp/mine")
    assert colleague_home("bob", "/home/bob") == Path("/home/bob/.local/state/longrun")
    monkeypatch.setenv("LONGRUN_HOME", "/tmp/100%%")
    assert colleague_home("bob", "/home/bob") == Path("/home/bob/.local/state/longrun"), "%% is not %u"
