from rest_framework import serializers

from accounts.models import User, validate_timezone


class UserSerializer(serializers.ModelSerializer):
    xp_into_level = serializers.IntegerField(read_only=True)
    xp_for_next_level = serializers.IntegerField(read_only=True)
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "level",
            "xp",
            "xp_into_level",
            "xp_for_next_level",
            "timezone",
            "preferences",
            "created_at",
        ]
        read_only_fields = ["id", "email", "level", "xp", "created_at"]


class UserUpdateSerializer(serializers.Serializer):
    """What a trainee may change about themselves; unknown keys (xp, is_staff…) are ignored."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)
    preferences = serializers.DictField(required=False)

    def validate_timezone(self, value):
        try:
            validate_timezone(value)
        except Exception as exc:
            raise serializers.ValidationError(f"“{value}” is not a known time zone.") from exc
        return value

    def validate_preferences(self, value):
        if len(str(value)) > 4000:
            raise serializers.ValidationError("Preferences are limited to 4000 characters.")
        return value


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
