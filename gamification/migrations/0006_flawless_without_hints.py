"""'Flawless' now needs a perfect score without a hint: say so on existing rows whose
description is still the shipped one (an admin's own wording is left alone)."""

from django.db import migrations

OLD = "Score 100 in a session."
NEW = "Score 100 in a session without a hint."


def forwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    Achievement.objects.filter(key="perfect-score", description=OLD).update(description=NEW)


def backwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    Achievement.objects.filter(key="perfect-score", description=NEW).update(description=OLD)


class Migration(migrations.Migration):
    dependencies = [("gamification", "0005_review_reason")]
    operations = [migrations.RunPython(forwards, backwards)]
