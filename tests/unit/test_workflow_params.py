"""Torc's parameter syntax, with the cases of Torc's own tests (src/client/parameter_expansion.rs)."""

from __future__ import annotations

import pytest

from app.workflows.params import Value, combinations, parse_values, rust_float, substitute


def values(spec: str) -> list[int | float | str]:
    return [v.value for v in parse_values(spec)]


def test_torcs_own_cases() -> None:
    assert values("1:5") == [1, 2, 3, 4, 5]
    assert values("{1:5}") == [1, 2, 3, 4, 5] and len(values("{ 1:100 }")) == 100
    assert values("0:10:2") == [0, 2, 4, 6, 8, 10]
    assert values("0.0:1.0:0.5") == [0.0, 0.5, 1.0]
    assert values("[1,5,10,50,100]") == [1, 5, 10, 50, 100]
    assert values("['train','test','validation']") == ["train", "test", "validation"]
    assert substitute("job_{i}_{name}", {"i": Value(42), "name": Value("test")}) == "job_42_test"
    assert substitute("job_{i:03d}", {"i": Value(5)}) == "job_005"
    assert Value(3.14159).formatted(".2f") == "3.14"


def test_more_ranges_and_lists() -> None:
    assert values("0:1:0.25") == [0.0, 0.25, 0.5, 0.75, 1.0]  # the example; Torc itself refuses it
    assert values("5:1:-2") == [5, 3, 1]
    assert values("[0.1,0.5,0.9]") == [0.1, 0.5, 0.9]
    assert values("[16, 32, 64]") == [16, 32, 64]
    assert values("plain") == ["plain"] and values("7") == [7]
    assert [v.value for v in parse_values(["a", 2])] == ["a", 2]  # a YAML/JSON list
    assert len(values("0.0:1.0:0.1")) == 11  # 1e-10 tolerance keeps the end despite rounding


@pytest.mark.parametrize("spec", ["1:2:0", "1:2:3:4", "a:b", "1:1000000"])
def test_bad_ranges(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_values(spec)


def test_floats_are_written_as_rust_writes_them() -> None:
    assert [rust_float(x) for x in (0.0001, 1.0, 1e-7, 0.1 + 0.2, 250.0)] == [
        "0.0001",
        "1",
        "0.0000001",
        "0.30000000000000004",
        "250",
    ]
    assert substitute("{lr}", {"lr": Value(0.001)}) == "0.001"


def test_formats_follow_torc() -> None:
    assert substitute("{i:03d}-{i}", {"i": Value(7)}) == "007-7"  # every occurrence, unlike Torc
    assert substitute("{x:.3f}", {"x": Value(2)}) == "2"  # a float format on an integer: the plain value
    assert substitute("{i:5d}", {"i": Value(7)}) == "7"  # only zero padding, as Torc
    assert substitute("${HOME}/{i} {other}", {"i": Value(1)}) == "${HOME}/1 {other}"


def test_product_and_zip() -> None:
    params = {"a": parse_values("1:2"), "b": parse_values("['x','y','z']")}
    assert len(combinations(params, "product")) == 6
    with pytest.raises(ValueError, match="same number of values"):
        combinations(params, "zip")
    zipped = combinations({"a": parse_values("1:2"), "b": parse_values("['x','y']")}, "zip")
    assert [(c["a"].value, c["b"].value) for c in zipped] == [(1, "x"), (2, "y")]
    with pytest.raises(ValueError, match="at most 10,000"):
        combinations({"a": parse_values("1:200"), "b": parse_values("1:200")}, "product")
