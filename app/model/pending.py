"""Why a job waits, in plain words: Slurm's pending reasons (squeue %r, sacct Reason) explained.

The one table of these texts (pure, so that the read model can use it too): `longrun explain` and
the Diagnosis pane (app/diagnose), `longrun report` and the dashboard's chain list (app/views) all
read it through `pending_reason_words`.
"""

from __future__ import annotations

PENDING_REASONS = {
    "Resources": "waiting for free CPUs, memory or nodes",
    "Priority": "other jobs come first",
    "Dependency": "waiting for the jobs it depends on",
    "DependencyNeverSatisfied": "a job it depends on ended in a way that can never satisfy the dependency",
    "BeginTime": "its --begin time is in the future",
    "JobHeldUser": "held by its owner (scontrol release to let it run)",
    "JobHeldAdmin": "held by an administrator",
    "ReqNodeNotAvail": "a node it needs is down, drained or reserved",
    "PartitionTimeLimit": "its --time is above the partition's limit: it will never start",
    "PartitionConfig": "it asks for more than the partition's nodes have: it will never start",
    "QOSMaxJobsPerUserLimit": "the user already runs as many jobs as the QOS allows",
}


def pending_reason_words(reason: str | None) -> str | None:
    """`Priority` -> "other jobs come first"; None for no reason (`None`) or one we have no words for."""
    if not reason or reason == "None":
        return None
    return PENDING_REASONS.get(reason)
