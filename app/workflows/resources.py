"""`resource_requirements`: named at the workflow level and referred to by jobs, or inline in a job.

Torc's format names them (`resource_requirements: gpu_training` in a job refers to the entry of
that name in the workflow's list); an inline mapping in the job is accepted too.
"""

from __future__ import annotations

from yaml.nodes import Node

from app.workflows.nodes import Entry, NodeReader
from app.workflows.spec import Resources
from app.workflows.torc_keys import RESOURCES
from app.workflows.values import parse_memory, parse_runtime


def read_named_resources(reader: NodeReader, top: dict[str, Entry]) -> dict[str, Resources]:
    result: dict[str, Resources] = {}
    if "resource_requirements" not in top:
        return result
    for node in reader.sequence(top["resource_requirements"][1], "resource_requirements") or []:
        entries = reader.mapping(node, "resource_requirements entry")
        if entries is None:
            continue
        name = reader.name(entries, "resource_requirements entry", node)
        resources = read_resources(reader, node, f"resource_requirements {name}")
        if name is None or resources is None:
            continue
        if name in result:
            reader.error(node, f"resource_requirements name `{name}` is used twice")
            continue
        result[name] = resources
    return result


def read_resources(reader: NodeReader, node: Node, what: str) -> Resources | None:
    entries = reader.mapping(node, what)
    if entries is None:
        return None
    entries = reader.check_keys(entries, what, RESOURCES)
    ints = {
        key: reader.integer(entries[key][1], f"{what}: {key}", minimum=0 if key == "num_gpus" else 1)
        for key in ("num_cpus", "num_gpus", "num_nodes")
        if key in entries
    }
    if any(value is None for value in ints.values()):
        return None
    memory = reader.parsed(entries, "memory", what, parse_memory)
    runtime = reader.parsed(entries, "runtime", what, parse_runtime)
    return Resources(ints.get("num_cpus"), memory, ints.get("num_gpus"), ints.get("num_nodes"), runtime)
