"""Receipts: issued and numbered with the payment (numbering), what they look like (documents:
the PDF and the email), emailed (sending), chains that died started again (sweeper), and the
Celery tasks that run them (tasks)."""
