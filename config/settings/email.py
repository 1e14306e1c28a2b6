"""Email: the receipts' SMTP server (EMAIL_URL) and sender."""

from .environment import env
from .lifeline import CHARITY_NAME

# Email: console unless EMAIL_URL says otherwise (smtp://user:pass@host:port).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# The sender donors see is the charity (CHARITY_NAME); an address set without a display name
# is given that name too (donations/receipts/documents.py).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{CHARITY_NAME} <receipts@lifeline.invalid>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds per SMTP command
