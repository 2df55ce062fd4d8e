"""PostgreSQL: the database itself refuses two confirmed bookings of one host that overlap.

An exclusion constraint (GiST over the host and the booking's [start, end) range, with
btree_gist for the equality parts) is what makes concurrent booking requests safe without a
lock: the second insert of an overlapping booking waits for the first to commit and then fails
(meetings.bookings retries it against the next host or answers 409). It is not declared on the
model because SQLite has no such constraint; there, the IMMEDIATE transaction's single writer
lock serialises the check and the insert instead.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINT = "booking_no_overlap"  # = meetings.models.bookings.NO_OVERLAP_CONSTRAINT


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE meetings_booking ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(organization_id WITH =, host_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE meetings_booking DROP CONSTRAINT {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraint, drop_constraint),
    ]
