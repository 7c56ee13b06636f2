"""Dashboard test fixtures: a fake service layer fed by captured Slurm output, a fixed clock and time zone."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.tui.fake_services import FIXED_NOW, LOG_SOURCES, FakeServices, sample_chains

SNAPSHOT_LOGS = Path("/tmp/longrun-tui-snapshot-logs")  # a fixed path: it is shown in the Log pane's title


@pytest.fixture(autouse=True)
def utc_time_zone() -> Iterator[None]:
    """sacct's times are local: pin the zone so that screens do not depend on the machine."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
def snapshot_logs() -> Path:
    """The captured logs copied to a fixed place (written atomically: xdist workers share it)."""
    SNAPSHOT_LOGS.mkdir(exist_ok=True)
    for name, source in LOG_SOURCES.items():
        target = SNAPSHOT_LOGS / name
        if not target.exists() or target.read_bytes() != source.read_bytes():
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
    return SNAPSHOT_LOGS


@pytest.fixture
def fixed_clock() -> Callable[[], object]:
    return lambda: FIXED_NOW


__all__ = ["FIXED_NOW", "FakeServices", "sample_chains"]
