from rest_framework import serializers

from performance.review import session_review_detail
from performance.selectors import criterion_label


class TrendSerializer(serializers.Serializer):
    recent_average = serializers.FloatField(
        allow_null=True, help_text="Average of the last 5 sessions."
    )
    previous_average = serializers.FloatField(
        allow_null=True, help_text="Average of the 5 sessions before those."
    )
    delta = serializers.FloatField(allow_null=True)
    direction = serializers.ChoiceField(choices=["up", "down", "flat"])


class CriterionPointSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    scored_at = serializers.DateTimeField(allow_null=True)
    score = serializers.IntegerField()


class TotalPointSerializer(CriterionPointSerializer):
    passed = serializers.BooleanField(allow_null=True)


class CriterionSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    average = serializers.FloatField()
    sessions = serializers.IntegerField()
    trend = TrendSerializer()
    points = CriterionPointSerializer(many=True)


class CriterionBriefSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    average = serializers.FloatField()


class PerformanceSummarySerializer(serializers.Serializer):
    sessions_count = serializers.IntegerField()
    passed_count = serializers.IntegerField()
    pass_rate = serializers.FloatField(allow_null=True, help_text="0..1; null with no sessions.")
    average_score = serializers.FloatField(allow_null=True)
    best_score = serializers.IntegerField(allow_null=True)
    time_practised_seconds = serializers.IntegerField()
    total_trend = TrendSerializer()
    totals = TotalPointSerializer(many=True)
    criteria = CriterionSummarySerializer(many=True)
    strongest_criterion = CriterionBriefSerializer(allow_null=True)
    weakest_criterion = CriterionBriefSerializer(allow_null=True)


# --- A trainer's review (performance/review.py) --------------------------------------------------


class ReviewCriterionSerializer(serializers.Serializer):
    criterion = serializers.CharField(help_text="The key to name in `corrections`.")
    label = serializers.CharField()
    score = serializers.IntegerField(
        help_text="The score that counts: the reviewer's if corrected."
    )
    machine_score = serializers.IntegerField(
        allow_null=True, help_text="What the machine gave; null until a reviewer changes it."
    )
    weight = serializers.FloatField(help_text="Share of the total, out of 100.")
    rationale = serializers.CharField()
    review_comment = serializers.CharField(help_text="The reviewer's why; empty if none.")


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField()
    reviewer_display_name = serializers.CharField(
        allow_null=True, help_text="Null once the reviewer's account is gone."
    )
    reviewed_at = serializers.DateTimeField()
    machine_score = serializers.IntegerField(help_text="The session's total before any review.")


class ReviewedSessionSerializer(serializers.Serializer):
    session_id = serializers.UUIDField()
    score = serializers.IntegerField(help_text="The total, recalculated after corrections.")
    passed = serializers.BooleanField()
    pass_score = serializers.IntegerField()
    criteria = ReviewCriterionSerializer(many=True)
    review = ReviewSerializer(allow_null=True, help_text="Null until the session is reviewed.")


def reviewed_session_data(session) -> dict:
    """`session` (from `session_get_for_reviewer`) as ReviewedSessionSerializer describes it, its
    criteria in the scenario author's order."""
    detail = session_review_detail(session=session)
    review = detail.review
    data = {
        "session_id": session.pk,
        "score": session.score,
        "passed": bool(session.passed),
        "pass_score": session.snapshot.pass_score,
        "criteria": [
            {
                "criterion": m.criterion,
                "label": criterion_label(m.criterion),
                "score": m.score,
                "machine_score": m.machine_score,
                "weight": m.weight,
                "rationale": m.rationale,
                "review_comment": m.review_comment,
            }
            for m in detail.metrics
        ],
        "review": None
        if review is None
        else {
            "comment": review.comment,
            "reviewer_display_name": review.reviewer.display_name if review.reviewer else None,
            "reviewed_at": review.reviewed_at,
            "machine_score": review.machine_score,
        },
    }
    return ReviewedSessionSerializer(data).data


class ReviewCorrectionSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReviewSaveSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="Overall."
    )
    corrections = serializers.DictField(
        child=ReviewCorrectionSerializer(),
        help_text=(
            "Criterion key -> the score it should have and why. Criteria left out keep their "
            "score and comment; `{}` only marks the session reviewed."
        ),
    )


class TeamSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    trainee_display_name = serializers.CharField(source="user.display_name")
    scenario_slug = serializers.CharField(source="scenario.slug")
    scenario_title = serializers.CharField(source="scenario.title")
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    scored_at = serializers.DateTimeField(allow_null=True)
    reviewed = serializers.BooleanField()
