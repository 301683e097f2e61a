from rest_framework import serializers


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
