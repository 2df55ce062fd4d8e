# JobRun and WorkerHeartbeat moved from the sync app (their tables were created by
# sync.0001_initial): this takes them over in Django's state only, then gives the tables the
# jobs app's names. Existing rows are kept.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("sync", "0007_activity_marketing_deals_retries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WorkerHeartbeat",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("beat_at", models.DateTimeField()),
                    ],
                    options={"db_table": "sync_workerheartbeat"},
                ),
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("job", models.CharField(max_length=100)),
                        ("scheduled_for", models.DateTimeField()),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("outcome", models.TextField(blank=True)),
                    ],
                    options={
                        "db_table": "sync_jobrun",
                        "ordering": ["-scheduled_for"],
                        "constraints": [models.UniqueConstraint(fields=("job", "scheduled_for"), name="one_run_per_due_time")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="workerheartbeat", table=None),
        migrations.AlterModelTable(name="jobrun", table=None),
    ]
