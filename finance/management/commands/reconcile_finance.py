from django.core.management.base import BaseCommand, CommandError

from core.money import to_major_str
from gateways.stripe import PaymentProviderError
from finance import services
from finance.management.commands._period import add_period_arguments, period_from_options
from finance.models import ExportLog
from finance.reconciliation import FIGURES, reconcile


class Command(BaseCommand):
    help = ("For a period, our charges, refunds, fees and net beside Stripe's balance "
            "transactions, and each donation that differs. Exits 1 when anything differs.")

    def add_arguments(self, parser):
        add_period_arguments(parser)

    def handle(self, *args, **options):
        period = period_from_options(options)
        log = services.export_log_start(kind=ExportLog.Kind.RECONCILIATION, period=period,
                                        source="command")
        try:
            result = reconcile(period)
        except PaymentProviderError as exc:
            raise CommandError(f"Stripe could not be read ({exc}); nothing was compared.") from exc
        self.stdout.write(f"{'currency':8} {'figure':9} {'Lifeline':>14} {'Stripe':>14}")
        for currency in result.currencies:
            ours, theirs = result.ours[currency], result.stripe[currency]
            for name in FIGURES:
                show = str if name in ("charges", "refunds") else (
                    lambda v, c=currency: to_major_str(v, c))
                mark = "" if ours[name] == theirs[name] else "  <- differs"
                self.stdout.write(f"{currency:8} {name:9} {show(ours[name]):>14} "
                                  f"{show(theirs[name]):>14}{mark}")
        for t in result.other:
            self.stdout.write(f"Other Stripe transaction {t.id} ({t.type}/{t.reporting_category}"
                              f"): {to_major_str(t.amount, t.currency)} {t.currency}")
        for d in result.differences:
            self.stdout.write(f"DIFFERS donation={d.donation_id or '-'} stripe={d.stripe_id}: "
                              f"{d.what}")
        services.export_log_finish(
            log_id=log.pk, row_count=len(result.differences),
            warnings=[d.__dict__ for d in result.differences],
        )
        if result.differences:
            raise CommandError(f"{len(result.differences)} difference(s) with Stripe.")
        self.stdout.write("Lifeline and Stripe agree for this period.")
