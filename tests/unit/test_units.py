"""Memory sizes and durations as Slurm writes them (app/model/units.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.model.tres import Tres
from app.model.units import Duration, MemorySize, UnitParseError

K, M, G = 1024, 1024**2, 1024**3


@pytest.mark.parametrize(
    ("text", "size"),
    [("207688K", 207688 * K), ("4G", 4 * G), ("100Mn", 100 * M), ("200Mc", 200 * M), ("1.5G", 3 * G // 2),
     ("16g", 16 * G), ("0", 0), ("512", 512), ("2T", 2 * 1024 * G), ("10MiB", 10 * M), (" 3M ", 3 * M),
     ("4000Mc", 4000 * M), ("16000Mn", 16000 * M), ("1.50Gn", 3 * G // 2), ("191846Mn", 191846 * M), ("0n", 0),
     ("312.50G", 625 * G // 2), ("10466336K", 10466336 * K)],
)  # fmt: skip
def test_memory_parse(text: str, size: int) -> None:
    assert MemorySize.parse(text) == MemorySize(size)


def test_memory_default_unit() -> None:
    assert MemorySize.parse("300", default_unit="M") == MemorySize.mebibytes(300)


@pytest.mark.parametrize("text", ["", "16?", "-1G", "1e5", "G", "4X", "1.2.3M", "NaN"])
def test_memory_garbage(text: str) -> None:
    with pytest.raises(UnitParseError):
        MemorySize.parse(text)


def test_memory_arithmetic() -> None:
    mem = MemorySize.mebibytes(1000)
    assert mem.scaled(5, 4) == MemorySize.mebibytes(1250)
    assert MemorySize.mebibytes(930).percent_of(mem) == 93 and mem.percent_of(MemorySize(0)) == 0
    assert MemorySize(1).mib == 1 and MemorySize(M + 1).mib == 2
    assert MemorySize.mebibytes(100).round_up_sane() == MemorySize.mebibytes(128)
    assert MemorySize.mebibytes(1300).round_up_sane() == MemorySize.mebibytes(1536)
    assert MemorySize(17 * G + 1).round_up_sane() == MemorySize(18 * G)
    assert MemorySize(4 * G).sbatch_value() == "4G" and MemorySize.mebibytes(1500).sbatch_value() == "1500M"
    assert str(MemorySize(207688 * K)) == "202.8M" and str(MemorySize(4 * G)) == "4G" and str(MemorySize(12)) == "12B"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:01:00", 60), ("1-02:03:04", 93784), ("5:00", 300), ("0:02", 2), ("00:00:05.123", 5), ("30", 1800),
     ("2-00:00:00", 172800), ("1-02:03", 93780), ("100:00:00", 360000),
     # TotalCPU as sacct prints it (reportseff's fixtures): fractions dropped, days beyond 99
     ("06:57.815", 417), ("00:00.034", 0), ("4-23:56:21", 431781), ("451-06:00:24", 38988024), ("01:36:40", 5800)],
)  # fmt: skip
def test_duration_parse(text: str, seconds: int) -> None:
    assert Duration.parse(text) == Duration(seconds)


@pytest.mark.parametrize("text", ["UNLIMITED", "Partition_Limit", "INVALID", "", "NOT_SET", "N/A", "None"])
def test_duration_without_value(text: str) -> None:
    assert Duration.parse(text) is None


@pytest.mark.parametrize("text", ["forever", "1:2:3:4", "-5", "1-", "::"])
def test_duration_garbage(text: str) -> None:
    with pytest.raises(UnitParseError):
        Duration.parse(text)


def test_duration_formats() -> None:
    assert Duration(93784).slurm_format() == "1-02:03:04" and str(Duration(61)) == "00:01:01"
    assert Duration(61).whole_minutes_up() == 2 and Duration(0).whole_minutes_up() == 1
    assert Duration.minutes(3) == Duration(180)


@given(st.integers(min_value=0, max_value=10**8))
def test_duration_round_trip(seconds: int) -> None:
    assert Duration.parse(Duration(seconds).slurm_format()) == Duration(seconds)


@given(st.integers(min_value=0, max_value=2**50), st.sampled_from(["", "K", "M", "G", "T"]))
def test_memory_round_trip_with_units(number: int, unit: str) -> None:
    scale = {"": 1, "K": K, "M": M, "G": G, "T": 1024 * G}[unit]
    assert MemorySize.parse(f"{number}{unit}") == MemorySize(number * scale)


@given(st.integers(min_value=1, max_value=2**45))
def test_sbatch_value_never_asks_for_less(size: int) -> None:
    mem = MemorySize(size)
    back = MemorySize.parse(mem.sbatch_value())
    assert back >= mem and back.bytes - mem.bytes < M
    assert mem.round_up_sane() >= mem


def test_tres_lists_as_sacct_prints_them() -> None:
    alloc = Tres("billing=64,cpu=9,gres/cpu=9,gres/gpu:a100_3g.20gb=1,gres/gpu=1,mem=60G,node=1")  # slurm-mail #142
    assert alloc == "billing=64,cpu=9,gres/cpu=9,gres/gpu:a100_3g.20gb=1,gres/gpu=1,mem=60G,node=1"
    assert alloc.count_of("cpu") == 9 and alloc.count_of("node") == 1 and alloc.gpus() == 1
    assert alloc.memory() == MemorySize(60 * G) and alloc.get("gres/gpu:a100_3g.20gb") == "1"
    assert Tres("cpu=4,gres/gpu:v100=2,gres/gpu:a100=1,mem=8G").gpus() == 3, "typed GPUs only: their sum"
    assert Tres("cpu=4,mem=8G,node=1").gpus() is None and Tres("cpu=4").memory() is None
    usage = Tres("cpu=00:56:24,energy=0,fs/disk=350130624578,gres/gpumem=38888M,gres/gpuutil=100,mem=10372780K")
    assert usage.duration("cpu") == Duration(3384) and usage.memory() == MemorySize(10372780 * K)
    assert usage.memory("gres/gpumem") == MemorySize(38888 * M) and usage.count_of("gres/gpuutil") == 100
    noconvert = Tres("cpu=00:56:24,mem=10621726720,vmem=10439041024")  # --noconvert: plain bytes
    assert noconvert.memory() == MemorySize(10621726720)


@pytest.mark.parametrize("text", ["", "garbage", "=,=", "cpu", "mem=lots", "cpu=,mem=", ",,,", "a=b=c"])
def test_tres_never_fails_a_row(text: str) -> None:
    tres = Tres(text)
    assert tres.memory() is None and tres.gpus() is None and tres.duration() is None
