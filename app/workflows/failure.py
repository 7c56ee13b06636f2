"""Torc's `failure_handlers`: retry a job that fails with given exit codes, after a recovery script.

A job's `failure_handler` names one; each rule (`exit_codes` or `match_all_exit_codes`,
`max_retries` default 3, `recovery_script`) becomes a retry rule of the job's chain policy: the
supervisor resubmits a link that failed with a matching exit code, up to max_retries times per
rule (the first rule that matches counts). The recovery script runs at the start of the retrying
link, before the command, with Torc's variables (TORC_RETURN_CODE, TORC_JOB_NAME, ...; see
app/workflows/script.py).
"""

from __future__ import annotations

from yaml.nodes import ScalarNode

from app.model.policy import RetryRule
from app.workflows.nodes import Entry, NodeReader
from app.workflows.spec import FailureRule
from app.workflows.torc_keys import FAILURE_HANDLER, FAILURE_RULE

DEFAULT_MAX_RETRIES = 3


def read_failure_handlers(reader: NodeReader, top: dict[str, Entry]) -> dict[str, tuple[FailureRule, ...]]:
    handlers: dict[str, tuple[FailureRule, ...]] = {}
    if "failure_handlers" not in top:
        return handlers
    for node in reader.sequence(top["failure_handlers"][1], "failure_handlers") or []:
        entries = reader.mapping(node, "failure handler")
        if entries is None:
            continue
        entries = reader.check_keys(entries, "failure handler", FAILURE_HANDLER)
        name = reader.name(entries, "failure handler", node)
        what = f"failure handler {name or '?'}"
        if "rules" not in entries:
            reader.error(node, f"{what} has no `rules`")
            continue
        rules = [_rule(reader, rule_node, what) for rule_node in reader.sequence(entries["rules"][1], "rules") or []]
        if name is None or any(rule is None for rule in rules):
            continue
        if name in handlers:
            reader.error(node, f"failure handler name `{name}` is used twice")
            continue
        handlers[name] = tuple(rule for rule in rules if rule is not None)
    return handlers


def _rule(reader: NodeReader, node: ScalarNode | object, what: str) -> FailureRule | None:
    entries = reader.mapping(node, f"{what}: rule")  # type: ignore[arg-type]
    if entries is None:
        return None
    entries = reader.check_keys(entries, f"{what}: rule", FAILURE_RULE)
    codes: list[int] = []
    if "exit_codes" in entries:
        items = entries["exit_codes"][1]
        for item in reader.sequence(items, f"{what}: exit_codes") or []:
            code = reader.integer(item, f"{what}: exit code", minimum=1)
            if code is None:
                return None
            codes.append(code)
    any_code = (
        bool(reader.boolean(entries["match_all_exit_codes"][1], f"{what}: match_all_exit_codes"))
        if "match_all_exit_codes" in entries
        else False
    )
    if not codes and not any_code:
        reader.error(node, f"{what}: a rule needs `exit_codes` or `match_all_exit_codes: true`")  # type: ignore[arg-type]
        return None
    retries = DEFAULT_MAX_RETRIES
    if "max_retries" in entries:
        value = reader.integer(entries["max_retries"][1], f"{what}: max_retries", minimum=0)
        if value is None:
            return None
        retries = value
    script = (
        reader.string(entries["recovery_script"][1], f"{what}: recovery_script")
        if "recovery_script" in entries
        else None
    )
    return FailureRule(RetryRule(tuple(codes), any_code, retries), script)
