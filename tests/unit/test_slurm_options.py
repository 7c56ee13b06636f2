"""sbatch's options read as getopt_long reads them, and one replaced by a new value."""

from __future__ import annotations

from app.slurm.options import long_name, needs_value, replace_options, split_options


def test_options_split_from_the_script_as_sbatch_splits_them() -> None:
    options, end = split_options(["--part", "debug", "-c4", "-t", "60", "--mem=1G", "--hold", "job.sh", "-t", "x"])
    assert [o.tokens for o in options] == [("--part", "debug"), ("-c4",), ("-t", "60"), ("--mem=1G",), ("--hold",)]
    assert [o.name for o in options] == ["partition", "cpus-per-task", "time", "mem", "hold"]
    assert end == 7
    assert split_options(["--", "-t", "1"]) == ([], 1)
    assert long_name("mem") == "mem" and long_name("mem-p") is None and long_name("part") == "partition"
    assert needs_value("--mem") and not needs_value("--mem=1G") and needs_value("-t") and not needs_value("-H")


def test_a_new_value_replaces_the_same_option_however_it_was_written() -> None:
    current = ("-t", "30", "--mem-per-cpu=500M", "--partition", "debug", "-o", "logs/%j.out", "--newer-option=1")
    assert replace_options(current, ["--time=2:00:00", "--mem=2G"]) == (
        "--partition", "debug", "-o", "logs/%j.out", "--newer-option=1", "--time=2:00:00", "--mem=2G",
    )  # fmt: skip
    assert replace_options(current, ["--qos=long"]) == (*current, "--qos=long")
