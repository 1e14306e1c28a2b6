"""The ASGI application that gunicorn serves (config/gunicorn.py, docs/web-server.md)."""

import os

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler

from config.deadlines import ShedLateRequests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
# Each request runs its view in a thread of its own, so a persistent connection would stay
# with a thread that never serves again: Django's docs ask for CONN_MAX_AGE 0 under ASGI.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# Instead, on PostgreSQL, a bounded pool per process (docs/db-pool.md).
os.environ.setdefault("DATABASE_POOL", "1")

STREAM_BATCH_BYTES = 64 * 1024


async def _in_batches(iterator):
    """A view's synchronous stream (the finance exports) read in the request's own thread,
    64 KB at a time, instead of whole into memory as Django does for ASGI (with a warning)."""
    chunks = iter(iterator)

    def take() -> list[bytes]:
        batch, size = [], 0
        for chunk in chunks:
            batch.append(chunk)
            size += len(chunk)
            if size >= STREAM_BATCH_BYTES:
                break
        return batch

    while batch := await sync_to_async(take, thread_sensitive=True)():
        for chunk in batch:
            yield chunk


class LifelineASGIHandler(ASGIHandler):
    async def get_response_async(self, request):
        response = await super().get_response_async(request)
        if response.streaming and not response.is_async:
            response.streaming_content = _in_batches(response.streaming_content)
        return response


get_asgi_application()  # django.setup()
# Requests past their deadline are answered 503 before Django reads them (config/deadlines.py).
application = ShedLateRequests(LifelineASGIHandler())
