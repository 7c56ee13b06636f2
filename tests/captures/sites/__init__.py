"""Other sites' Slurm output (see README.md here), and how to feed each capture to our parsers.

README.md's table is the one record of every capture: where it came from, the Slurm version,
the command, and how to read it (kind, delimiter, fields). Fixed-width tables are cut into
cells at the columns of their header (and its dashes line when there is one); the cells
themselves are the site's, unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from app.slurm.records import AccountingMap, ControllerJob, LiveStep, Partition, QueueRecord, RecordList
from app.slurm.sacct import parse_sacct
from app.slurm.scontrol import parse_show_job, parse_show_job_blocks, parse_show_partitions
from app.slurm.squeue import SEPARATOR, SQUEUE_CODES, parse_squeue
from app.slurm.sstat import parse_sstat

SITES = Path(__file__).parent
DELIMITERS = {"pipe": "|", "pipe-trailing": "|", "caret-pipe": "^|^"}
# squeue's default headers -> the format codes our parser reads
SQUEUE_HEADERS = {"JOBID": "%i", "NAME": "%j", "USER": "%u", "ST": "%T", "STATE": "%T", "PARTITION": "%P",
                  "TIME": "%M", "TIME_LIMIT": "%l", "NODELIST": "%N", "NODELIST(REASON)": "%N"}  # fmt: skip


@dataclass(frozen=True)
class SiteCapture:
    file: str
    source: str
    slurm: str
    command: str
    kind: str
    delimiter: str
    fields: str
    shows: str

    def text(self) -> str:
        return (SITES / self.file).read_text()

    def cells(self) -> tuple[str, list[str], str]:
        """(delimiter, field names, body) ready for parse_sacct."""
        text = self.text()
        if self.delimiter == "table":
            return _table(text)
        delimiter = DELIMITERS[self.delimiter]
        if self.fields == "header":
            header, _, body = text.partition("\n")
            return delimiter, header.split(delimiter), body
        fields = self.fields.split(",")
        if self.delimiter == "pipe-trailing":  # `sacct -p`: a delimiter after the last cell too
            fields.append("(after the last)")
        return delimiter, fields, text

    def sacct(self) -> AccountingMap:
        assert self.kind == "sacct", self.file
        delimiter, fields, body = self.cells()
        return parse_sacct(body, delimiter, fields)

    def squeue(self) -> RecordList[QueueRecord]:
        assert self.kind == "squeue" and self.delimiter == "table", self.file
        _, fields, body = _table(self.text())
        where = {SQUEUE_HEADERS[f]: i for i, f in enumerate(fields) if f in SQUEUE_HEADERS}
        lines = []
        for line in body.splitlines():
            cells = line.split(SEPARATOR)
            row = [cells[where[code]] if code in where else "" for code in SQUEUE_CODES]
            reason, nodes = SQUEUE_CODES.index("%r"), SQUEUE_CODES.index("%N")
            if row[nodes].startswith("("):  # NODELIST(REASON) holds the reason while a job waits
                row[reason], row[nodes] = row[nodes].strip("()"), ""
            lines.append(SEPARATOR.join(row))
        return parse_squeue("\n".join(lines) + "\n")

    def sstat(self) -> RecordList[LiveStep]:
        assert self.kind == "sstat", self.file
        _, fields, body = self.cells()
        return parse_sstat(body, fields)

    def partitions(self) -> dict[str, Partition]:
        assert self.kind == "scontrol-partition", self.file
        return parse_show_partitions(self.text())

    def reason_codes(self) -> list[str]:
        """The reason names of a `reasons` capture, each once, in order."""
        assert self.kind == "reasons", self.file
        lines = (line.strip() for line in self.text().splitlines())
        return list(dict.fromkeys(line for line in lines if line and not line.startswith("#")))

    def scontrol(self) -> list[ControllerJob]:
        assert self.kind == "scontrol", self.file
        text = self.text()
        ids = [block["JobId"] for block in parse_show_job_blocks(text)]
        return [parse_show_job(text, job_id) for job_id in ids]


def _table(text: str) -> tuple[str, list[str], str]:
    """A fixed-width table as (SEPARATOR, header names, body joined by SEPARATOR).

    With a dashes line, columns are its runs of dashes; without one, cells are split at blanks
    (the docs' squeue examples hold no blank inside a cell).
    """
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    if len(lines) > 1 and set(lines[1].strip()) <= {"-", " "}:
        spans = [m.span() for m in re.finditer(r"-+", lines[1])]
        names = [header[a:b].strip() for a, b in spans]
        rows = [[line[a:b].strip() for a, b in spans] for line in lines[2:]]
    else:
        names = header.split()
        rows = [line.split() for line in lines[1:]]
    return SEPARATOR, names, "".join(SEPARATOR.join(r) + "\n" for r in rows)


@cache
def site_captures() -> dict[str, SiteCapture]:
    """Every row of README.md's table, by file name."""
    found = {}
    for line in (SITES / "README.md").read_text().splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        capture = SiteCapture(cells[0].strip("`"), *cells[1:])
        found[capture.file] = capture
    return found
