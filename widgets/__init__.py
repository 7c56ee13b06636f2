"""Textual widgets of the longrun-tui dashboard. They get data by messages, never from Slurm."""
