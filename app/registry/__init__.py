"""The registry: chains on disk (spec + append-only event log), their derived state, locks."""

from app.registry.derive import derive, needs_submission, upstream_block
from app.registry.store import (
    ChainStatuses,
    CorruptRecord,
    DamagedChain,
    Registry,
    RegistryError,
    UnknownChain,
    default_home,
)

__all__ = [
    "ChainStatuses",
    "CorruptRecord",
    "DamagedChain",
    "Registry",
    "RegistryError",
    "UnknownChain",
    "default_home",
    "derive",
    "needs_submission",
    "upstream_block",
]
