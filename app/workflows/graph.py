"""The dependency graph of a workflow's jobs: finding cycles and naming them.

Dependencies on jobs that do not exist are reported by the loader (it knows their lines) and
ignored here.
"""

from __future__ import annotations

from app.workflows.spec import Job, Problem


def find_cycles(jobs: list[Job]) -> list[list[str]]:
    """Each dependency cycle once, as the list of job names along it (starting at its first job in file order)."""
    order = {job.name: i for i, job in enumerate(jobs)}
    deps = {job.name: [d for d in job.depends_on if d in order] for job in jobs}
    cycles: list[list[str]] = []
    seen_keys: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for dep in deps[name]:
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :]
                key = frozenset(cycle)
                if key not in seen_keys:
                    seen_keys.add(key)
                    start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
                    cycles.append(cycle[start:] + cycle[:start])
            elif state.get(dep) is None:
                visit(dep)
        path.pop()
        state[name] = 2

    for job in jobs:
        if job.name not in state:
            visit(job.name)
    return cycles


def cycle_problems(jobs: list[Job]) -> list[Problem]:
    """One error per cycle, at the line of the cycle's first job: `a -> b -> a`."""
    lines = {job.name: job.line for job in jobs}
    problems = []
    for cycle in find_cycles(jobs):
        text = " -> ".join([*cycle, cycle[0]])
        problems.append(Problem("error", lines[cycle[0]], f"dependency cycle: {text} (each job depends on the next)"))
    return problems
