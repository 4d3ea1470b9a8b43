"""Table shapes of the transactional outbox and the inbox; each context owns its own copies."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text


def outbox_table(name: str, metadata: MetaData) -> Table:
    """Events waiting to be delivered. A row is written in the transaction of the change
    that raised the event, and deleted once every handler has taken it."""
    table = Table(
        name,
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=False),  # the event id
        Column("event_type", String(100), nullable=False),
        Column("aggregate_id", BigInteger, nullable=False),
        Column("payload", Text, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        # Not before this time: the back-off after a failure.
        Column("available_at", DateTime(timezone=True), nullable=False),
        # A process claims a row until lease_until; if it dies, the lease runs out and
        # another process takes the row over.
        Column("lease_until", DateTime(timezone=True), nullable=True),
        Column("lease_owner", String(100), nullable=True),
        Column("dead_at", DateTime(timezone=True), nullable=True),
        Column("last_error", Text, nullable=True),
    )
    Index(f"ix_{name}_due", table.c.dead_at, table.c.available_at)
    return table


def inbox_table(name: str, metadata: MetaData) -> Table:
    """(event, handler) pairs already applied, written in the handler's own transaction."""
    return Table(
        name,
        metadata,
        Column("event_id", BigInteger, primary_key=True, autoincrement=False),
        Column("handler", String(100), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
