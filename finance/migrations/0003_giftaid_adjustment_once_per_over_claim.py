"""A Gift Aid over-claim is adjusted once: each adjustment names what its line had already
reported (`reported_before`), unique per line (issue 12: a double-click recorded one twice)."""

from django.db import migrations, models


def chain_existing_adjustments(apps, schema_editor):
    """Earlier adjustments of a line, in the order they were recorded, each after the ones
    before it. Adjustments recorded twice by the old race keep their amounts (the books
    must show what was reported to HMRC); only their place in the chain is set."""
    Adjustment = apps.get_model("finance", "GiftAidAdjustment")
    lines = (Adjustment.objects.values("line_id")
             .annotate(n=models.Count("id")).filter(n__gt=1).values_list("line_id", flat=True))
    for line_id in lines:
        reported = 0
        for adjustment in Adjustment.objects.filter(line_id=line_id).order_by("id"):
            adjustment.reported_before = reported
            adjustment.save(update_fields=["reported_before"])
            reported += adjustment.amount


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0002_finance_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="giftaidadjustment",
            name="reported_before",
            field=models.BigIntegerField(
                default=0,
                help_text="Pence of this line reported as over-claimed by earlier adjustments.",
            ),
        ),
        migrations.RunPython(chain_existing_adjustments, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="giftaidadjustment",
            constraint=models.UniqueConstraint(
                fields=("line", "reported_before"), name="giftaid_adjustment_once_per_over_claim",
            ),
        ),
        migrations.AddConstraint(
            model_name="giftaidadjustment",
            constraint=models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="giftaid_adjustment_amount_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="giftaidadjustment",
            constraint=models.CheckConstraint(
                condition=models.Q(reported_before__gte=0),
                name="giftaid_adjustment_reported_before_not_negative",
            ),
        ),
    ]
