"""The supervisor: watches every chain of one user and resubmits links (engine), records each
link's end and decides from that record (endings), submits write-ahead (links), one per registry
(lease), started on demand by every command (ensure_supervisor)."""

from app.supervisor.engine import CycleReport, Supervisor
from app.supervisor.lease import AlreadyRunning, Heartbeat, ensure_supervisor, read_heartbeat, supervisor_alive

__all__ = [
    "AlreadyRunning",
    "CycleReport",
    "Heartbeat",
    "Supervisor",
    "ensure_supervisor",
    "read_heartbeat",
    "supervisor_alive",
]
