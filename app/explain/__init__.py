"""The explain pipeline: how a job's records, batch script and log files are found and read.

`longrun explain` and the dashboard's Diagnosis pane both go through here (then app/diagnose,
which is pure). Modules, each with one job:

    files.py          open only regular files, never hang, read bounded amounts (stdlib only)
    tail.py           the one tail reader: a log's last lines with exact line numbers
    follow.py         following a growing log (the dashboard's Log pane drives it)
    sbatch_options.py sbatch's command line and a script's #SBATCH lines, read as sbatch reads them
    scripts.py        batch scripts read once per (path, mtime)
    patterns.py       Slurm's filename patterns (%j, %A_%a, %4t, ...) expanded as slurmstepd does
    logpaths.py       the one log-path resolver (scontrol, command line, #SBATCH, Slurm's default)
    gather.py         the records and files one diagnosis needs (CLI entry point)
    focus.py          the dashboard's entry point (accounting from its poll; scontrol cached)

This __init__ imports nothing: widgets import app.explain.follow without loading Slurm or the
registry.
"""
