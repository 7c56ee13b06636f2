"""Torc-style YAML workflows (seeds/004): read and check them, map jobs to sbatch, run them as chains."""
