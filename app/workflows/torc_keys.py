"""Every key of Torc's workflow format, and what longrun does with each: the one list.

Torc's own reference (docs/src/core/reference/workflow-spec.md and src/client/workflow_spec.rs in
github.com/NREL/torc) defines the keys; older Torc versions used other names for some of them
(`blocked_by_job_names` for `depends_on`, ...), which are read as the current ones. A key is
- used: it changes what runs (see app/workflows/sbatch.py for the sbatch mapping);
- not used: accepted, and `validate` says so in a note with the reason;
- unsupported: a Torc feature longrun does not implement: one error that names it as such;
- anything else: an unknown key (a typo), with did-you-mean.
A file in the format of the first, Python-based Torc (`schedulers: {...}`, `config`, jobs with
`interruptible`) gets one error saying so instead of one per key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORKERS = "each job is its own Slurm job (a chain), there are no Torc workers or compute nodes to manage"


@dataclass(frozen=True)
class Keys:
    """The keys of one kind of mapping (the workflow, a job, a file...)."""

    used: tuple[str, ...]
    not_used: dict[str, str] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # older Torc name -> current name
    legacy: tuple[str, ...] = ()  # keys only the first (Python) Torc had


WORKFLOW = Keys(
    used=(
        "name",
        "user",
        "description",
        "parameters",
        "variables",
        "jobs",
        "files",
        "user_data",
        "resource_requirements",
        "failure_handlers",
        "slurm_schedulers",
        "slurm_defaults",
        "actions",
    ),
    not_used={
        "resource_monitor": "use `longrun explain JOBID` for a job's MaxRSS and CPU use (from Slurm accounting)",
        "execution_config": "each job runs as its own Slurm batch job; its output goes to the job's log file",
        "use_pending_failed": "a failed job stops its chain and holds its dependents; `longrun workflow reinit` "
        "runs it again",
        "compute_node_expiration_buffer_seconds": WORKERS,
        "compute_node_wait_for_new_jobs_seconds": WORKERS,
        "compute_node_ignore_workflow_completion": WORKERS,
        "compute_node_wait_for_healthy_database_minutes": "there is no Torc database: the registry is local files",
        "jobs_sort_method": "jobs start as soon as their dependencies are done; Slurm orders what is queued",
        "scheduling_rules": WORKERS,
        "project": "not needed to run the jobs",
        "metadata": "not needed to run the jobs",
    },
    unsupported={
        "parameters_file": "write the parameter values as `parameters` (ranges or lists) instead of a table",
    },
    legacy=("schedulers", "config"),
)

JOB = Keys(
    used=(
        "name",
        "command",
        "invocation_script",
        "env",
        "supports_termination",
        "resource_requirements",
        "failure_handler",
        "scheduler",
        "depends_on",
        "depends_on_regexes",
        "input_files",
        "input_file_regexes",
        "output_files",
        "output_file_regexes",
        "input_user_data",
        "input_user_data_regexes",
        "output_user_data",
        "output_user_data_regexes",
        "parameters",
        "parameter_mode",
        "use_parameters",
        "progress",  # longrun's own: as `longrun submit --progress REGEX`
        "progress_file",  # longrun's own: as `longrun submit --progress-file FILE`
    ),
    not_used={
        "cancel_on_blocking_job_failure": "a job never starts after a failed upstream job: it is held until "
        "`longrun workflow reinit`",
        "priority": "Slurm's own priority orders queued jobs",
        "stdio": "stdout and stderr go to the job's log file (`--output`)",
    },
    unsupported={
        "parameters_file": "write the parameter values as `parameters` (ranges or lists) instead of a table",
        "use_parameters_file": "write the parameter values as `parameters` (ranges or lists) instead of a table",
    },
    aliases={
        "blocked_by": "depends_on",
        "blocked_by_job_names": "depends_on",
        "blocked_by_regexes": "depends_on_regexes",
        "blocked_by_job_name_regexes": "depends_on_regexes",
        "resource_requirements_name": "resource_requirements",
        "scheduler_name": "scheduler",
        "input_file_names": "input_files",
        "output_file_names": "output_files",
        "input_user_data_names": "input_user_data",
        "output_user_data_names": "output_user_data",
        "output_data_names": "output_user_data",
    },
    legacy=("interruptible", "consumes_user_data", "needs_compute_node_schedule", "user_data"),
)

FILE = Keys(
    used=("name", "path", "parameters", "parameter_mode", "use_parameters"),
    not_used={
        "st_mtime": "files are not tracked: a job starts when the jobs writing its inputs are done",
        "identifier": "there is no RO-Crate export",
    },
    unsupported={
        "parameters_file": "write the parameter values as `parameters` (ranges or lists) instead of a table",
        "use_parameters_file": "write the parameter values as `parameters` (ranges or lists) instead of a table",
    },
)

USER_DATA = Keys(
    used=("name", "data", "parameters", "parameter_mode", "use_parameters"),
    not_used={"is_ephemeral": "user data is not stored: it only orders the jobs that write and read it"},
    unsupported=FILE.unsupported,
)

RESOURCES = Keys(used=("name", "num_cpus", "memory", "num_gpus", "num_nodes", "runtime"))

SCHEDULER = Keys(
    used=("name", "account", "partition", "qos", "nodes", "walltime", "mem", "gres", "tmp", "ntasks_per_node", "extra"),
    not_used={"serialize_allocations": WORKERS},
)

ACTION = Keys(
    used=("trigger_type", "action_type", "jobs", "job_name_regexes", "commands", "scheduler", "scheduler_type"),
    not_used={
        "num_allocations": WORKERS,
        "start_one_worker_per_node": WORKERS,
        "max_parallel_jobs": "Slurm's own limits apply",
        "persistent": "an action runs once per submission",
    },
    aliases={"job_names": "jobs", "scheduler_name": "scheduler"},
)

FAILURE_HANDLER = Keys(used=("name", "rules"))
FAILURE_RULE = Keys(used=("exit_codes", "match_all_exit_codes", "recovery_script", "max_retries"))

TRIGGERS = ("on_workflow_start", "on_workflow_complete", "on_jobs_ready", "on_jobs_complete")
OLD_TRIGGERS = ("on_worker_start", "on_worker_complete")  # worker triggers: accepted, not used
ACTION_TYPES = ("run_commands", "schedule_nodes")

# sbatch options Torc manages itself and refuses in slurm_defaults (SLURM_EXCLUDED_PARAMS)
SLURM_DEFAULTS_EXCLUDED = ("partition", "nodes", "walltime", "time", "mem", "gres", "name", "job-name")

LEGACY_FORMAT = (
    "this file is in the format of the first, Python-based Torc ({keys}): that format is not supported "
    "by longrun; write today's Torc format (`slurm_schedulers` at the top level, `depends_on`, "
    "`supports_termination`, see Torc's workflow-spec reference)"
)
SCHEDULERS_LIST = (
    "Torc's `schedulers` list (entries with `scheduler_type`, `job_filter`, and actions with `parameters`) is "
    "not supported by longrun: write the Slurm options as `slurm_schedulers` and choose one per job with the "
    "job's `scheduler` or a schedule_nodes action's `jobs`"
)
