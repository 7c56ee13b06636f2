"""longrun-tui: chains of Slurm jobs that outlive wall-times, and a dashboard to watch them."""

__version__ = "0.1.0"
