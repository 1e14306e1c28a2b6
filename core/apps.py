from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel every app may import; it imports none of them (docs/architecture.md)."""

    name = "core"
    verbose_name = "Core"
