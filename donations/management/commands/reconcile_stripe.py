from django.core.management.base import BaseCommand, CommandError

from donations.services.reconciliation import reconcile


class Command(BaseCommand):
    help = ("Bring every pending donation older than --older-than minutes in line with Stripe, "
            "cancel abandoned ones, and apply the refunds and disputes Stripe holds for the "
            "settled donations of the last 120 days, and the monthly gifts' subscriptions ended "
            "and invoices paid at Stripe in the last 30 days that no webhook told of.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=30, metavar="MINUTES",
                            help="Only donations pending longer than this (default 30; 0: all).")

    def handle(self, *args, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more minutes.")
        counts = reconcile(older_than_minutes=older_than, every_batch=True)
        self.stdout.write(
            f"Checked {counts['checked']} pending donation(s): {counts['changed']} updated, "
            f"{counts['errors']} could not be checked. Expired {counts['expired']} abandoned "
            f"gift(s). Refunds at Stripe: {counts['refunds_seen']} seen, "
            f"{counts['refunds_applied']} gift(s) updated. Disputes at Stripe: "
            f"{counts['disputes_seen']} seen. Monthly gifts' events at Stripe: "
            f"{counts['monthly_seen']} seen, {counts['monthly_applied']} applied. "
            f"Stripe calls: {counts['calls']}."
        )
        if counts["errors"]:
            raise CommandError("Stripe could not be reached for some donations; run again.")
