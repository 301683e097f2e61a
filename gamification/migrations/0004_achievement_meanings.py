"""Two default achievements now mean what their names say (see gamification/achievements.py).
Their descriptions follow, unless an author has already rewritten them."""

from django.db import migrations

CHANGES = {
    "hostile-resolved": (
        "Resolve a hostile customer (patience 1–2) without an escalation.",
        "Calm an impatient customer who turned hostile, and get a confirmed fix.",
    ),
    "under-time": (
        "Pass a session in less than the scenario's estimated time.",
        "Get a confirmed fix in under half the estimated time, and pass.",
    ),
}


def forwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    for key, (old, new) in CHANGES.items():
        Achievement.objects.filter(key=key, description=old).update(description=new)


def backwards(apps, schema_editor):
    Achievement = apps.get_model("gamification", "Achievement")
    for key, (old, new) in CHANGES.items():
        Achievement.objects.filter(key=key, description=new).update(description=old)


class Migration(migrations.Migration):
    dependencies = [("gamification", "0003_xp_user_week_idx")]
    operations = [migrations.RunPython(forwards, backwards)]
