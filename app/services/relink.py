"""A new link for a chain that has none running: resubmit (one more link now) and reinit (a fresh
restart budget), both optionally with new settings for the next links: sbatch options
(`--mem=2G --time=2:00:00`, each replacing the chain's same option) and policy values
(`max_restarts`, `min_link_seconds`, `grow_mem_factor`, ...). A change is recorded as an event
before the link is submitted, so it shows in the chain's history and `status --json`.

Also the options the last link's diagnosis suggests, for the dashboard's resubmit dialog.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from app.diagnose import NothingToDiagnose, diagnose
from app.model.chain import ChainState, ChainStatus
from app.model.policy import Policy, PolicyError
from app.registry import upstream_block
from app.registry.events import Reinit, ResubmitRequested, SettingsChanged
from app.services.actions import ChainActions
from app.services.base import ActionRefused
from app.slurm.options import needs_value, replace_options, split_options
from app.supervisor.links import submit_link

# Options a later link cannot change: where its output goes (one log for the chain), what ties it
# to the chain, and what makes it something other than one batch job.
FIXED_OPTIONS = frozenset(
    {"output", "error", "input", "open-mode", "comment", "wrap", "chdir", "array", "job-name", "parsable",
     "test-only", "wait", "help", "usage", "version", "batch", "export-file"}
)  # fmt: skip
POLICY_FIELDS = frozenset(field.name for field in dataclasses.fields(Policy)) - {"retry_rules"}


class ChainRelink(ChainActions):
    def resubmit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str:
        """A new link now for a chain with no live job; `options` and `policy` change it and the next links."""
        status = self._own(chain_id)
        chain_id = status.chain_id
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id}): cancel or stop it first")
        if status.state is ChainState.DONE:
            raise ActionRefused(f"chain {chain_id} is done; use reinit to run it again")
        return self._new_link(status, ResubmitRequested(by=self.viewer), options, policy or {})

    def reinit(self, chain_id: str, options: Sequence[str] = (), policy: Mapping[str, Any] | None = None) -> str:
        """A fresh restart budget and a new link for a stopped or done chain, with optional new settings."""
        status = self._own(chain_id)
        chain_id = status.chain_id
        if status.live_link is not None:
            raise ActionRefused(f"chain {chain_id} has a live job ({status.live_link.job_id})")
        if status.state not in (ChainState.STOPPED, ChainState.DONE):
            raise ActionRefused(f"chain {chain_id} is {status.state.value.lower()}, not stopped: nothing to reinit")
        return self._new_link(status, Reinit(by=self.viewer), options, policy or {})

    def settings_event(
        self, status: ChainStatus, options: Sequence[str], policy: Mapping[str, Any]
    ) -> SettingsChanged | None:
        """The settings_changed event for these changes (None when nothing changes); ActionRefused
        for an option a later link cannot change or a policy value out of range."""
        fields: dict[str, Any] = {}
        if options:
            given, end = split_options(list(options))
            if end != len(options) or any(o.tokens[0] == "--" for o in given):
                raise ActionRefused(f"not an sbatch option: {options[end] if end < len(options) else '--'}")
            for option in given:
                if len(option.tokens) == 1 and needs_value(option.tokens[0]):
                    raise ActionRefused(f"{option.tokens[0]} needs a value (e.g. {option.tokens[0]}=VALUE)")
                if option.name is None:
                    raise ActionRefused(f"{option.tokens[0]} is not an sbatch option (see `sbatch --help`)")
                if option.name in FIXED_OPTIONS:
                    raise ActionRefused(
                        f"--{option.name} cannot change between links of a chain (it keeps one log and one job "
                        "shape); submit a new chain for that"
                    )
            current = (*status.spec.sbatch_options, *status.next_options)
            fields["given"] = tuple(options)
            fields["sbatch_options"] = replace_options(current, options)
        if policy:
            unknown = sorted(set(policy) - POLICY_FIELDS)
            if unknown:
                raise ActionRefused(f"not a chain policy setting: {', '.join(unknown)}")
            try:
                new = dataclasses.replace(status.spec.policy, **policy)
            except PolicyError as exc:
                raise ActionRefused(f"{exc.field} {exc.problem}") from None
            old_json, new_json = status.spec.policy.to_json(), new.to_json()
            changed = {key: value for key, value in new_json.items() if old_json.get(key) != value}
            if changed:
                fields["policy"] = changed
        return SettingsChanged(by=self.viewer, **fields) if fields else None

    def _new_link(
        self,
        status: ChainStatus,
        request: Reinit | ResubmitRequested,
        options: Sequence[str],
        policy: Mapping[str, Any],
    ) -> str:
        chain_id = status.chain_id
        settings = self.settings_event(status, options, policy)  # refused before anything is written
        with self.registry.chain_lock(chain_id):
            if settings is not None:
                self.registry.append(chain_id, settings)
            self.registry.append(chain_id, request)
            status = self.registry.status(chain_id)
            if status.spec.depends_on and not status.links:
                ready, why = upstream_block(status, self.registry.statuses().chains.get)
                if not ready:
                    return f"chain {chain_id} will start when its upstream chains are done ({why})"
            job_id = submit_link(self.registry, self.slurm, status)
        if job_id is None:
            status = self.registry.status(chain_id)
            raise ActionRefused(status.reason or "sbatch refused the job")
        changed = f" with {status.changes[-1].describe()}" if settings is not None else ""
        return f"chain {chain_id}: submitted attempt {status.attempt + 1} as job {job_id}{changed}"

    def suggested_options(self, chain_id: str) -> tuple[str, ...]:
        """The sbatch options the diagnosis of the chain's last job suggests (`--mem=640M`,
        `--time=90`), for a resubmit; () when it suggests none. One sacct call."""
        status = self._own(chain_id)
        job_ids = [link.job_id for link in status.links if link.job_id]
        if not job_ids:
            return ()
        acct = self.slurm.accounting([job_ids[-1]]).get(job_ids[-1])
        try:
            found = diagnose(acct)
        except NothingToDiagnose:
            return ()
        return tuple(f"--{name}={value}" for name, value in found.fix_options.items())
