"""What the API shows when it combines apps: scenarios with the caller's progress, the caller
with their streak, and a team's analytics."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserSerializer
from core.cache import ProcessMemo
from gamification.selectors import streak_for_user
from overview.progress import ScenarioProgress, ScenarioProgressList
from performance.team_analytics import (
    STRUGGLING_BELOW,
    VIEW_LATEST,
    VIEWS,
    WEEKS_DEFAULT,
    WEEKS_MAX,
    WEEKS_MIN,
)
from scenarios.api.serializers import ScenarioCatalogueSerializer, ScenarioContentSerializer
from scenarios.selectors import CATALOGUE, Catalogue


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


def _build_rows(catalogue: Catalogue) -> tuple[dict[int, dict], dict[int, dict]]:
    every = {
        row["id"]: dict(row)
        for row in ScenarioCatalogueSerializer(catalogue.scenarios, many=True).data
    }
    untouched = progress_data(ScenarioProgress())
    lockable = catalogue.locking_prerequisites
    return every, {
        scenario.id: {**every[scenario.id], "progress": untouched}
        for scenario in catalogue.scenarios
        if not lockable.get(scenario.id)
    }


# Kept beside the catalogue it was built from, in each process: serialising 100 rows through
# DRF costs ~50 µs a field on every call otherwise (docs/performance.md).
rows_memo = ProcessMemo(CATALOGUE, _build_rows, max_age_setting="CATALOGUE_CACHE_SECONDS")


def catalogue_rows(catalogue: Catalogue) -> dict[int, dict]:
    """Each scenario as the list API shows it, minus progress."""
    return rows_memo.get(catalogue, slot="rows")[0]


def untouched_rows(catalogue: Catalogue) -> dict[int, dict]:
    """The whole row for a trainee who never tried the scenario, for scenarios that no
    prerequisite can lock: the same for everyone."""
    return rows_memo.get(catalogue, slot="rows")[1]


def scenario_rows(scenarios: ScenarioProgressList, page) -> list[dict]:
    """The rows of `page` (scenarios of `scenarios`) in the list API, with this trainee's
    progress; the catalogue's rows are looked up once for the whole page."""
    every, untouched = rows_memo.get(scenarios.catalogue, slot="rows")
    rows = []
    for scenario in page:
        row = None if scenarios.attempted(scenario) else untouched.get(scenario.id)
        if row is None:
            progress = progress_data(scenarios.with_progress(scenario).progress)
            row = {**every[scenario.id], "progress": progress}
        rows.append(row)
    return rows


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


# --- A team's analytics --------------------------------------------------------------------------


class TeamAnalyticsQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(
        min_value=WEEKS_MIN,
        max_value=WEEKS_MAX,
        default=WEEKS_DEFAULT,
        help_text="The period: this ISO week and the ones before it, in your time zone.",
    )
    view = serializers.ChoiceField(
        choices=list(VIEWS),
        default=VIEW_LATEST,
        help_text="What a heat map cell holds: the latest score in the period, or the average.",
    )


class AnalyticsTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AnalyticsPeriodSerializer(serializers.Serializer):
    weeks = serializers.IntegerField()
    since = serializers.DateTimeField(help_text="Monday 00:00 of the first week.")
    until = serializers.DateTimeField(help_text="When the figures were read.")


class AnalyticsCriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class HeatCellSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    score = serializers.FloatField(
        allow_null=True, help_text="Null when the trainee was not rated on it in the period."
    )
    sessions = serializers.IntegerField(help_text="Scored sessions that rated it in the period.")


class HeatRowSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    display_name = serializers.CharField(source="user.display_name")
    cells = HeatCellSerializer(many=True, help_text="In the order of `criteria`.")


class ScenarioPassRateSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    attempts = serializers.IntegerField()
    passed = serializers.IntegerField()
    pass_rate = serializers.FloatField(help_text="0–1.")
    average_score = serializers.FloatField(allow_null=True)


class WeekAverageSerializer(serializers.Serializer):
    week = serializers.CharField(source="iso_week", help_text="ISO week, e.g. 2025-W07.")
    week_start = serializers.DateField()
    average_score = serializers.FloatField(allow_null=True)
    sessions = serializers.IntegerField()


class WeakSkillSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    average = serializers.FloatField()
    sessions = serializers.IntegerField()
    trainees = serializers.IntegerField(help_text="Trainees rated on it in the period.")
    trainees_below = serializers.IntegerField(
        source="struggling", help_text=f"Of whom averaging under {STRUGGLING_BELOW}."
    )


class OverdueScenarioSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()


class OverdueSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    display_name = serializers.CharField(source="user.display_name")
    assignment_id = serializers.IntegerField(source="assignment.pk")
    scenarios = OverdueScenarioSerializer(many=True, help_text="The ones not passed yet.")
    due_at = serializers.DateTimeField()
    days_late = serializers.IntegerField()


class TimeSpentSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(source="user.pk")
    display_name = serializers.CharField(source="user.display_name")
    sessions = serializers.IntegerField()
    seconds = serializers.IntegerField()


class TeamLeaderboardEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    display_name = serializers.CharField()
    level = serializers.IntegerField()
    xp = serializers.IntegerField(help_text="All time.")
    period_xp = serializers.IntegerField(help_text="Earned since the period's start.")
    on_global_leaderboard = serializers.BooleanField(source="on_leaderboard")


class TeamAnalyticsSerializer(serializers.Serializer):
    team = AnalyticsTeamSerializer()
    period = AnalyticsPeriodSerializer(source="performance.period")
    view = serializers.ChoiceField(choices=list(VIEWS), source="performance.view")
    criteria = AnalyticsCriterionSerializer(many=True, source="performance.criteria")
    heat_map = HeatRowSerializer(many=True, source="performance.heat_map")
    scenarios = ScenarioPassRateSerializer(many=True, source="performance.scenarios")
    weekly = WeekAverageSerializer(many=True, source="performance.weeks")
    weakest_skills = WeakSkillSerializer(many=True, source="performance.weakest")
    overdue = OverdueSerializer(many=True)
    time_spent = TimeSpentSerializer(many=True, source="performance.time_spent")
    leaderboard = TeamLeaderboardEntrySerializer(many=True)
