from celery import shared_task

from donations import reconciliation


@shared_task(acks_late=True, ignore_result=True)
def reconcile_stripe(older_than_minutes: int = 30) -> None:
    reconciliation.reconcile_pending(older_than_minutes=older_than_minutes)
