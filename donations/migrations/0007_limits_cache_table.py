"""The table behind the `limits` cache without Redis (config.cache.CounterDatabaseCache):
rate-limit counters shared by every process, on a fresh machine too."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0006_defence_state_one_row'),
    ]

    operations = [
        migrations.CreateModel(
            name='LimitsCacheEntry',
            fields=[
                ('cache_key', models.CharField(max_length=255, primary_key=True, serialize=False)),
                ('value', models.TextField()),
                ('expires', models.DateTimeField(db_index=True)),
            ],
            options={
                'verbose_name': 'limits cache entry',
                'verbose_name_plural': 'limits cache entries',
                'db_table': 'lifeline_limits_cache',
            },
        ),
    ]
