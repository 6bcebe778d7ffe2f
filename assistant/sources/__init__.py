"""Where snapshots come from: files, the bundled demo, live AWS (lazy: boto3 is heavy)."""

from assistant.sources.files import SnapshotError, collect_commands, dump_snapshot, load_snapshot

__all__ = ["SnapshotError", "collect_commands", "dump_snapshot", "load_snapshot"]
