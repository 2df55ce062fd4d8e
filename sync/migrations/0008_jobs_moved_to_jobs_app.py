# JobRun and WorkerHeartbeat now belong to the jobs app (jobs.0001_initial takes their tables
# over): removed from the sync app's state only.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0007_activity_marketing_deals_retries"),
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="JobRun"),
                migrations.DeleteModel(name="WorkerHeartbeat"),
            ],
            database_operations=[],
        ),
    ]
