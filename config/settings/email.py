"""Email: the receipts' SMTP server (EMAIL_URL) and sender."""

from .environment import env

# Email: console unless EMAIL_URL says otherwise (smtp://user:pass@host:port).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Lifeline <receipts@lifeline.invalid>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds per SMTP command
