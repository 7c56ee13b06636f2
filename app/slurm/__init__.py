"""The one place that runs Slurm commands (argv lists, timeouts) and parses their text output."""
