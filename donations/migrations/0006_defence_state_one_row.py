"""The attack-mode switch becomes one row with a fixed key (concurrent first uses had made
several: the admin showed the newest, the site read the oldest); each change is recorded."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def keep_the_newest(apps, schema_editor):
    """Keep the row changed last (what the admin showed and last set) as the one row."""
    DefenceState = apps.get_model("donations", "DefenceState")
    newest = DefenceState.objects.order_by("-changed_at", "-pk").first()
    if newest is None:
        return
    DefenceState.objects.exclude(pk=newest.pk).delete()
    if newest.pk != 1:
        DefenceState.objects.filter(pk=newest.pk).update(id=1)


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0005_blocked_reason_cards_per_gift'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(keep_the_newest, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='defencestate',
            name='id',
            field=models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False),
        ),
        migrations.AddConstraint(
            model_name='defencestate',
            constraint=models.CheckConstraint(condition=models.Q(('id', 1)), name='defencestate_one_row'),
        ),
        migrations.CreateModel(
            name='DefenceChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('attack_mode', models.BooleanField()),
                ('until', models.DateTimeField(blank=True, null=True)),
                ('reason', models.CharField(blank=True, max_length=300)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
    ]
