"""Why a job waits, in plain words: every reason code Slurm prints for a pending job (squeue %r,
scontrol Reason, sacct Reason). The one table of these texts: `longrun explain` and the Diagnosis
pane (app/diagnose/live.py, through `reason_info`), `longrun report` and the dashboard's chain list
(app/views, through `pending_reason_words`: the few words of SHORT for a list column).

The codes are those of squeue(1)'s JOB REASON CODES, Slurm's job_reason_codes page and the
controller's own list (`job_reason_string` in src/common/slurm_protocol_defs.c); the test
tests/unit/test_pending_reasons.py holds them all (tests/captures/sites/slurm_reason_codes.txt).
Each code gets what it means, whether it resolves by itself, and what the user can do.

About 190 of the codes are limits of an association or a QOS (`AssocGrpCPUMinutesLimit`,
`QOSMaxJobsPerUserLimit`, `MaxGRESPerAccount`, ...): their names are built from parts (whose
limit, aggregate or per-job, which resource, running or cumulative minutes), so they are read
from their parts here rather than listed one by one. The other codes are in REASONS.
Pure: text in, ReasonInfo out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Resolves(StrEnum):
    """Whether waiting is enough."""

    YES = "yes"  # it starts by itself once something else happens (other jobs end, a time comes)
    NO = "no"  # it waits forever unless someone changes the job or the limits
    MAYBE = "maybe"  # it depends on something longrun cannot see (an admin, a node coming back)


@dataclass(frozen=True)
class ReasonInfo:
    """One pending reason explained. `action` may hold `{job}` for the job id (see `for_job`)."""

    code: str  # as Slurm names it (`ReqNodeNotAvail`), or the text as printed when unknown
    meaning: str
    resolves: Resolves
    action: str
    detail: str | None = None  # what Slurm printed after the code (`UnavailableNodes:lr2`)
    known: bool = True

    def for_job(self, job_id: str) -> str:
        return self.action.replace("{job}", job_id)


_Y, _N, _M = Resolves.YES, Resolves.NO, Resolves.MAYBE
_SHORTER = "A shorter --time can let the backfill scheduler start it earlier in a gap (`scontrol update JobId={job} TimeLimit=...` lowers it in place)."  # noqa: E501

# code -> (meaning, resolves, action)
REASONS: dict[str, tuple[str, Resolves, str]] = {
    "None": ("the scheduler has not looked at the job yet in this cycle (or is about to start it)", _Y,
             "Wait a scheduling cycle (usually seconds to a minute)."),
    "WaitingForScheduling": ("the scheduler has not yet decided why the job cannot start", _Y,
                             "Wait a scheduling cycle."),
    "Priority": ("jobs with a higher priority are ahead of it in the queue of its partition (or reservation)", _Y,
                 "Wait; it moves up as those start. " + _SHORTER + " `sprio -j {job}` shows its priority."),
    "Resources": ("it is next in line, but the CPUs, memory, GPUs or nodes it asks for are still in use", _Y,
                  "Wait for running jobs to end; asking for less (fewer CPUs, less memory, a shorter --time) can "
                  "make it fit sooner."),
    "Dependency": ("a job it depends on (--dependency) has not ended the way the dependency needs yet", _Y,
                   "Wait for that job; `scontrol show job {job}` shows the dependency."),
    "DependencyNeverSatisfied": ("a job it depends on ended in a way that can never satisfy the dependency "
                                 "(e.g. afterok on a job that failed)", _N,
                                 "Cancel it (scancel {job}) and resubmit, or drop the dependency: "
                                 "`scontrol update JobId={job} Dependency=`."),
    "BeginTime": ("its earliest start time (--begin) has not come yet", _Y,
                  "Wait, or let it start now: `scontrol update JobId={job} StartTime=now`."),
    "JobHeldUser": ("it is held by its owner (sbatch --hold, scontrol hold or uhold)", _N,
                    "Release it: `scontrol release {job}`."),
    "JobHeldAdmin": ("it is held by an administrator (scontrol hold by root or an operator)", _N,
                     "Ask the administrators why it is held; only they can release it."),
    "JobHoldMaxRequeue": ("it was requeued so many times that Slurm held it (MAX_BATCH_REQUEUE)", _N,
                          "Find out why its runs kept failing (its log), fix that, then release or resubmit it."),
    "JobArrayTaskLimit": ("the array's limit on tasks running at once (--array=...%N) is reached", _Y,
                          "Wait for running tasks to end, or raise the limit: "
                          "`scontrol update JobId={job} ArrayTaskThrottle=N`."),
    "JobLaunchFailure": ("Slurm could not launch the job (a file system problem, a missing program, ...)", _N,
                         "Check the script and the working directory on the nodes; tell the admins if it repeats."),
    "Licenses": ("the licenses it asks for (--licenses) are all in use", _Y,
                 "Wait for other jobs to release them, or ask for fewer."),
    "ReqNodeNotAvail": ("a node it requires is not available: in use, reserved, down, drained or not responding "
                        "(down/drained ones are listed as UnavailableNodes)", _M,
                        "If it names nodes you chose (--nodelist/-w), drop or change that choice "
                        "(`scontrol update JobId={job} ReqNodeList=`); down or drained nodes need the admins. "
                        "Often a maintenance reservation: the job then starts after it."),
    "NodeDown": ("a node it needs is down", _M,
                 "Wait for the admins to bring it back, or resubmit without asking for that node."),
    "FrontEndDown": ("no front-end node is available to run it", _M, "Tell the administrators."),
    "PartitionDown": ("its partition is down", _M,
                      "Wait for the admins, or move it: `scontrol update JobId={job} Partition=OTHER`."),
    "PartitionInactive": ("its partition is inactive and starts no jobs", _M,
                          "Wait for the admins, or move it to another partition."),
    "PartitionNodeLimit": ("it asks for more (or fewer) nodes than its partition allows, or the nodes it needs "
                           "are down or drained", _N,
                           "Ask for a node count within the partition's limits (`scontrol show partition`), or "
                           "another partition: cancel and resubmit, or `scontrol update JobId={job} NumNodes=N`."),
    "PartitionTimeLimit": ("its --time is above its partition's maximum (MaxTime): it will never start there", _N,
                           "Lower its time limit to the partition's maximum in place "
                           "(`scontrol update JobId={job} TimeLimit=...`), or run the work as a longrun chain of "
                           "shorter links."),
    "PartitionConfig": ("it breaks a limit of its partition (Slurm's general reason for partition limits)", _N,
                        "Compare the request with `scontrol show partition`; resubmit within the limits."),
    "AccountNotAllowed": ("its account may not use this partition", _N,
                          "Resubmit with an allowed account (-A) or in another partition."),
    "QOSNotAllowed": ("its QOS may not be used by its association or in this partition", _N,
                      "Resubmit with an allowed QOS (--qos) or partition; `sacctmgr show assoc user=$USER` lists "
                      "your QOSs."),
    "InvalidAccount": ("its account is not valid (unknown, or you are not in it)", _N,
                       "Cancel it and resubmit with a valid account (-A); `sacctmgr show assoc user=$USER`."),
    "InvalidQOS": ("its QOS is not valid", _N, "Cancel it and resubmit with a valid --qos."),
    "BadConstraints": ("what it asks for (features, node counts, memory) can never be met on this cluster", _N,
                       "Check --constraint, --nodes and memory against `sinfo -o '%N %f %m'`; cancel and resubmit."),
    "Constraints": ("its constraints (--constraint) cannot be met at this time", _M,
                    "Wait for nodes with those features, or relax --constraint."),
    "Reservation": ("it waits for its advanced reservation to become active", _Y,
                    "Wait for the reservation's start (`scontrol show reservation`)."),
    "ReservationDeleted": ("the reservation it asked for no longer exists", _N,
                           "Remove it from the job (`scontrol update JobId={job} Reservation=`) or resubmit "
                           "without --reservation."),
    "Prolog": ("its prolog (PrologSlurmctld) is still running", _Y, "Wait; it starts when the prolog ends."),
    "Cleaning": ("it is being requeued and its previous run is still being cleaned up", _Y,
                 "Wait a moment; it starts again after the cleanup."),
    "InactiveLimit": ("it reached the system's InactiveLimit (its srun/salloc went away)", _N,
                      "Resubmit it; keep the submitting session alive for interactive jobs."),
    "SystemFailure": ("a failure of Slurm, a file system or the network", _M, "Tell the admins; resubmit later."),
    "NonZeroExitCode": ("it ended with a non-zero exit code (shown while Slurm requeues or holds it)", _N,
                        "Read its log; `longrun explain` it once it has ended."),
    "TimeLimit": ("it used up its time limit (shown while Slurm requeues or holds it)", _N,
                  "Give it more --time, or run it as a longrun chain."),
    "OutOfMemory": ("it ran out of memory (shown while Slurm requeues or holds it)", _N, "Give it more memory."),
    "DeadLine": ("it can no longer finish before its --deadline", _N,
                 "Give a later --deadline or a shorter --time (with --time-min Slurm may shorten it)."),
    "SchedDefer": ("it asked for an immediate allocation but the scheduler defers (SchedulerParameters=defer)", _Y,
                   "Wait for the next scheduling cycle."),
    "BurstBufferResources": ("a burst buffer pool has not enough room for it", _Y, "Wait, or ask for less."),
    "BurstBufferStageIn": ("its files are being staged into the burst buffer", _Y, "Wait for the stage-in."),
    "BurstBufferOperation": ("a burst buffer operation for it failed", _N, "Tell the administrators; resubmit."),
    "FedJobLock": ("the clusters of the federation are agreeing on who runs it", _Y, "Wait a moment."),
    "PowerNotAvail": ("not enough power is available for it", _Y, "Wait."),
    "PowerReserved": ("power is reserved for other jobs", _Y, "Wait."),
    "MaxMemPerLimit": ("its memory per CPU or per node is above the allowed maximum (MaxMemPerCPU/Node)", _N,
                       "Ask for less memory per CPU/node (or more CPUs with less memory each); resubmit."),
    "AccountingPolicy": ("an accounting limit holds it (Slurm's general reason when no finer one is known)", _M,
                         "`sacctmgr show assoc user=$USER` and `sacctmgr show qos` list the limits; ask the admins."),
    "AssociationJobLimit": ("your association already runs as many jobs as it may", _Y, "Wait for its jobs to end."),
    "AssociationResourceLimit": ("your association reached one of its resource limits", _Y,
                                 "Wait for its jobs to end, or ask for less."),
    "AssociationTimeLimit": ("your association reached its time limit", _M,
                             "Ask for a shorter --time, or ask the admins about the limit."),
    "QOSJobLimit": ("the job's QOS already runs as many jobs as it may", _Y, "Wait for its jobs to end."),
    "QOSResourceLimit": ("the job's QOS reached one of its resource limits", _Y, "Wait, or ask for less."),
    "QOSTimeLimit": ("the job's QOS reached its time limit", _M, "Ask for a shorter --time, or use another QOS."),
    "QOSUsageThreshold": ("the job's QOS has used more than its usage threshold allows", _M,
                          "Wait for the usage to decay, or use another QOS or account."),
    "BlockMaxError": ("(IBM BlueGene only) too many blocks in an error state", _M, "Tell the administrators."),
    "BlockFreeAction": ("(IBM BlueGene only) a block is being freed", _Y, "Wait."),
}  # fmt: skip

# Texts Slurm prints instead of a code (state descriptions), lower case, spaces for underscores.
_DESCRIPTIONS: dict[str, tuple[str, tuple[str, Resolves, str]]] = {
    "launch failed requeued held": ("launch failed requeued held", (
        "Slurm could not launch it on its node (a node or file system problem), requeued it and held it", _N,
        "Look at the node's problem (`scontrol show job {job}`); release it (`scontrol release {job}`) "
        "once it is fixed, or ask the admins.")),
    "job requeued in held state": ("job requeued in held state", (
        "it was requeued and held (scontrol requeuehold, or a requeue by the system)", _N,
        "Release it when it should run again: `scontrol release {job}`.")),
    "nodes required for job are down, drained or reserved for jobs in higher priority partitions": (
        "ReqNodeNotAvail", REASONS["ReqNodeNotAvail"]),
}  # fmt: skip

_BY_LOWER = {code.lower(): code for code in REASONS}

# ---- association and QOS limits, read from their names -------------------------------------------
_LIMIT = re.compile(r"^(?P<owner>Assoc|QOS)?(?P<kind>Grp|Max|Min)(?P<rest>[A-Za-z]+?)(?:Limit|NotSatisfied)?$")
_RESOURCES = {  # name part -> (what it counts, its unit in "...-minutes")
    "cpu": ("CPUs", "CPU"), "mem": ("memory", "memory"), "memory": ("memory", "memory"), "node": ("nodes", "node"),
    "gres": ("GPUs or other generic resources (GRES)", "GRES"), "license": ("licenses", "license"),
    "bb": ("burst buffer", "burst buffer"), "billing": ("billing units (weighted CPUs, memory and GPUs)", "billing"),
    "energy": ("energy", "energy"), "unknown": ("units of a trackable resource", "resource"),
    "wall": ("wall time", "wall"), "wallduration": ("wall time", "wall"), "jobs": ("jobs", "job"),
    "job": ("jobs", "job"), "submitjobs": ("queued jobs", "job"), "submitjob": ("queued jobs", "job"),
}  # fmt: skip
_COUNTED = frozenset({"cpu", "node", "gres", "license", "jobs", "job", "submitjobs", "submitjob", "billing", "unknown"})


def _limit_parts(code: str) -> tuple[str, str, str, str, str] | None:
    """(owner, kind, resource, minutes, scope) of a limit code, or None when it is not one."""
    match = _LIMIT.match(code)
    if match is None or (match["owner"] is None and not code.endswith("PerAccount")):
        return None
    rest = match["rest"]
    scope = next((s for s in ("PerAccount", "PerJob", "PerNode", "PerUser") if rest.endswith(s)), "")
    rest = rest.removesuffix(scope)
    minutes = next((m for m in ("RunMinutes", "Minutes", "Mins") if rest.endswith(m)), "")
    resource = rest.removesuffix(minutes).lower()
    if resource not in _RESOURCES:
        return None
    owner = "account" if scope == "PerAccount" else (match["owner"] or "")
    return owner, match["kind"], resource, minutes, scope


def _limit_reason(code: str) -> tuple[str, Resolves, str] | None:
    parts = _limit_parts(code)
    if parts is None:
        return None
    owner, kind, resource, minutes, scope = parts
    what, unit = _RESOURCES[resource]
    fewer, many = ("fewer", "many") if resource in _COUNTED else ("less", "much")
    whose = {"Assoc": "your association (your user and account in Slurm's accounting)",
             "QOS": "the job's QOS", "account": "your account under the job's QOS"}[owner]  # fmt: skip
    limits = "`sacctmgr show assoc user=$USER`" if owner == "Assoc" else "`sacctmgr show qos`"
    holder = "your running jobs" if scope == "PerUser" else f"the running jobs of {whose}"
    if kind == "Min":
        return (f"it asks for {fewer} {what} than {whose} requires of every job", _N,
                f"Ask for at least the minimum (see {limits}) or use another QOS; cancel and resubmit.")  # fmt: skip
    if resource in ("jobs", "job"):
        if kind == "Max" and owner == "Assoc":
            holder = "your running jobs"
        allows = "allowed" if whose in holder else f"{whose} allows"
        return (f"{holder} are already as many as {allows}", _Y, "Wait: it starts as those jobs end.")
    if resource.startswith("submitjob"):
        queued = "your jobs" if scope == "PerUser" or owner == "Assoc" else f"the jobs of {whose}"
        return (f"{queued}, queued or running, are already as many as allowed", _Y,
                "Wait: it is considered as other jobs end.")  # fmt: skip
    if resource.startswith("wall") and kind == "Max":
        return (f"its --time is above the longest {whose} allows for one job", _N,
                f"Lower its time limit (`scontrol update JobId={{job}} TimeLimit=...`, see {limits}) or run the "
                "work as a longrun chain of shorter links.")  # fmt: skip
    if kind == "Grp" and minutes == "Minutes":
        return (
            f"{whose} has used up its budget of {unit}-minutes (past, running and planned jobs all count)",
            _N,
            f"Ask your PI or the admins to raise it ({limits}), or run under another account (-A).",
        )
    if kind == "Grp" and minutes:
        return (f"the running jobs of {whose} together hold as many {unit}-minutes (x time left) as allowed", _Y,
                "Wait for them to progress; a shorter --time or fewer resources makes it fit sooner.")  # fmt: skip
    if kind == "Grp" or scope in ("PerUser", "PerAccount"):
        return (f"{holder} already use as {many} {what} as allowed", _Y,
                f"Wait for them to end, or ask for {fewer} {what}.")  # fmt: skip
    per = "per node" if scope == "PerNode" else "per job"
    amount = f"{unit}-minutes" if minutes else what
    return (f"it asks for more {amount} {per} than {whose} allows: it will never start as it is", _N,
            f"Ask for {fewer} {what}" + (" or a shorter --time" if minutes else "") + f" (see {limits}), "
            "or use another QOS or partition; cancel and resubmit.")  # fmt: skip


# A few words for a list column (the dashboard's chain list, `longrun report`); a code without
# them shows its meaning.
SHORT = {
    "Resources": "waiting for free CPUs, memory or nodes",
    "Priority": "other jobs come first",
    "Dependency": "waiting for the jobs it depends on",
    "DependencyNeverSatisfied": "a job it depends on ended in a way that can never satisfy the dependency",
    "BeginTime": "its --begin time is in the future",
    "JobHeldUser": "held by its owner (scontrol release to let it run)",
    "JobHeldAdmin": "held by an administrator",
    "ReqNodeNotAvail": "a node it needs is down, drained or reserved",
    "PartitionTimeLimit": "its --time is above the partition's limit: it will never start",
    "PartitionConfig": "it breaks a limit of its partition: it will not start as it is",
    "QOSMaxJobsPerUserLimit": "the user already runs as many jobs as the QOS allows",
    "JobArrayTaskLimit": "the array's limit on tasks running at once is reached",
    "PartitionNodeLimit": "more nodes than its partition allows: it will never start",
}


def pending_reason_words(reason: str | None) -> str | None:
    """`Priority` -> "other jobs come first": a reason in a few words (its meaning when it has no short
    form); None for no reason (`None`) or one this version does not know."""
    if not reason or reason == "None":
        return None
    info = reason_info(reason)
    if info is None or not info.known:
        return None
    return SHORT.get(info.code, info.meaning)


def reason_info(text: str | None) -> ReasonInfo | None:
    """What a pending reason means. None for no reason; unknown text gets a plain "unknown" entry."""
    if text is None or not text.strip() or text.strip() in ("(null)", "N/A"):
        return None
    shown = text.strip()
    plain = " ".join(shown.replace("_", " ").split())
    described = _DESCRIPTIONS.get(plain.lower())
    if described is not None:
        code, (meaning, resolves, action) = described
        return ReasonInfo(code, meaning, resolves, action)
    head, rest = _split_head(shown)
    code = _BY_LOWER.get(head.lower()) or head
    entry = REASONS.get(code) or _limit_reason(code)
    if entry is None:
        return ReasonInfo(shown, "a reason this version of longrun does not know", _M,
                          "`scontrol show job {job}` and Slurm's job reason codes page say more.",
                          known=False)  # fmt: skip
    return ReasonInfo(code, *entry, detail=rest or None)


def _split_head(shown: str) -> tuple[str, str]:
    """`ReqNodeNotAvail,_UnavailableNodes:lr2` -> (`ReqNodeNotAvail`, `UnavailableNodes:lr2`)."""
    match = re.match(r"^([A-Za-z*]+)[,\s_]*(.*)$", shown, re.DOTALL)
    if match is None:
        return shown, ""
    return match.group(1), match.group(2).replace("_", " ").strip(" ,")
