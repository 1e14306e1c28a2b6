from django.apps import AppConfig


class AttributionConfig(AppConfig):
    """Which article, campaign and publisher sent each reader, counted by us (no tracker)."""

    name = "attribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import atexit

        from attribution import counter

        # Views still in this process's buffer are written when it stops cleanly.
        atexit.register(counter.flush_at_exit)
