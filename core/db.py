"""The database connection while a request waits on the network (docs/db-pool.md)."""

from django.db import connections


def release_pooled_connections() -> None:
    """Give this thread's pooled database connections back to their pool before a network
    wait (a Stripe call takes hundreds of milliseconds), unless a transaction is open on
    one. The next query takes one again. Unpooled connections (Celery workers, SQLite) are
    left as they are: closing them would cost a reconnect, and they hold no shared slot."""
    for connection in connections.all(initialized_only=True):
        if (connection.connection is not None and not connection.in_atomic_block
                and getattr(connection, "pool", None) is not None):
            connection.close()
