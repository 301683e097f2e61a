"""What the API shows when it combines apps: scenarios with the caller's progress, and the
caller with their streak."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserSerializer
from gamification.selectors import streak_for_user
from overview.progress import ScenarioProgress, ScenarioProgressList
from scenarios.api.serializers import ScenarioCatalogueSerializer, ScenarioContentSerializer
from scenarios.selectors import Catalogue


class ScenarioProgressSerializer(serializers.Serializer):
    attempts = serializers.IntegerField(read_only=True)
    best_score = serializers.IntegerField(read_only=True, allow_null=True)
    completed = serializers.BooleanField(read_only=True)
    locked = serializers.BooleanField(read_only=True)
    missing_prerequisites = serializers.ListField(
        child=serializers.CharField(), source="missing_prerequisite_slugs", read_only=True
    )


class ScenarioListSerializer(ScenarioCatalogueSerializer):
    progress = ScenarioProgressSerializer(read_only=True)

    class Meta(ScenarioCatalogueSerializer.Meta):
        fields = [*ScenarioCatalogueSerializer.Meta.fields, "progress"]
        read_only_fields = fields


class ScenarioDetailSerializer(ScenarioContentSerializer):
    progress = ScenarioProgressSerializer(read_only=True)

    class Meta(ScenarioContentSerializer.Meta):
        fields = [
            *ScenarioCatalogueSerializer.Meta.fields,
            "progress",
            *ScenarioContentSerializer.Meta.fields[len(ScenarioCatalogueSerializer.Meta.fields) :],
        ]
        read_only_fields = fields


def progress_data(progress) -> dict:
    """`ScenarioProgressSerializer(progress).data`, built directly: the list calls it for every
    row of every page (a test keeps the two identical)."""
    return {
        "attempts": progress.attempts,
        "best_score": progress.best_score,
        "completed": progress.completed,
        "locked": progress.locked,
        "missing_prerequisites": progress.missing_prerequisite_slugs,
    }


def catalogue_rows(catalogue: Catalogue) -> dict[int, dict]:
    """Each scenario as the list API shows it, minus progress: serialised once per catalogue
    rather than on every call (DRF spends ~50 µs a field)."""
    rows = catalogue.derived.get("api-rows")
    if rows is None:
        data = ScenarioCatalogueSerializer(catalogue.scenarios, many=True).data
        rows = catalogue.derived["api-rows"] = {row["id"]: dict(row) for row in data}
    return rows


def untouched_rows(catalogue: Catalogue) -> dict[int, dict]:
    """The whole row for a trainee who never tried the scenario, for scenarios that no
    prerequisite can lock: the same for everyone, so built once per catalogue."""
    rows = catalogue.derived.get("api-rows-untouched")
    if rows is None:
        untouched = progress_data(ScenarioProgress())
        every = catalogue_rows(catalogue)
        rows = catalogue.derived["api-rows-untouched"] = {
            scenario.id: {**every[scenario.id], "progress": untouched}
            for scenario in catalogue.scenarios
            if not catalogue.locking_prerequisites.get(scenario.id)
        }
    return rows


def scenario_row(scenarios: ScenarioProgressList, scenario) -> dict:
    """`scenario`'s row in the list API, with this trainee's progress."""
    if not scenarios.attempted(scenario):
        row = untouched_rows(scenarios.catalogue).get(scenario.id)
        if row is not None:
            return row
    progress = scenarios.with_progress(scenario).progress
    return {**catalogue_rows(scenarios.catalogue)[scenario.id], "progress": progress_data(progress)}


class TraineeSerializer(UserSerializer):
    """The signed-in trainee as `users/me/` shows them: their account plus their streak."""

    streak = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields[:-1], "streak", UserSerializer.Meta.fields[-1]]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"current": {"type": "integer"}, "best": {"type": "integer"}},
        }
    )
    def get_streak(self, user) -> dict:
        # Days in a row with a scored session, in the trainee's own time zone (one query).
        streak = streak_for_user(user=user)
        return {"current": streak.current, "best": streak.best}
