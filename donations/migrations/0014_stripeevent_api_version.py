from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("donations", "0013_receipt_unsent_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="stripeevent",
            name="api_version",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
    ]
