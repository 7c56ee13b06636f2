"""The registry: chains on disk (spec + append-only typed event log), their derived state, locks."""

from app.registry.derive import derive, needs_submission, upstream_block
from app.registry.files import CorruptRecord, LockBusy, RegistryError, RegistryWriteError
from app.registry.listing import ChainStatuses, DamagedChain, UnknownChain
from app.registry.store import Registry, default_home

__all__ = [
    "ChainStatuses",
    "CorruptRecord",
    "DamagedChain",
    "LockBusy",
    "Registry",
    "RegistryError",
    "RegistryWriteError",
    "UnknownChain",
    "default_home",
    "derive",
    "needs_submission",
    "upstream_block",
]
