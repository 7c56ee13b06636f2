"""ClusterName comes from slurm.conf without a Slurm call."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.slurm import config


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    config.cluster_name.cache_clear()
    monkeypatch.delenv("SLURM_CLUSTER_NAME", raising=False)


def test_cluster_name_is_read_from_slurm_conf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conf = tmp_path / "slurm.conf"
    conf.write_text("# ClusterName=commented\nSlurmctldHost=vm\n  ClusterName = hpc-east # site A\n")
    monkeypatch.setenv("SLURM_CONF", str(conf))
    assert config.cluster_name() == "hpc-east"


def test_unreadable_conf_gives_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CONF", str(tmp_path / "missing.conf"))
    assert config.cluster_name() is None


def test_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CLUSTER_NAME", "from-env")
    assert config.cluster_name() == "from-env"
