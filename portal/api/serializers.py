from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.accounts.models import ApiToken
from portal.accounts.services import DEFAULT_TOKEN_LIFETIME_DAYS, TOKEN_LIFETIMES_DAYS


class ApiTokenSerializer(serializers.ModelSerializer):
    """One of the caller's tokens, as listed: never the token itself (the portal does not have it)."""

    id = serializers.UUIDField(source="public_id", read_only=True, help_text="Use it to revoke this token.")
    prefix = serializers.CharField(
        source="token_key", read_only=True, help_text="The token's first characters, to tell tokens apart."
    )

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "expiry", "last_used_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What will use the token, e.g. 'front-desk script'.")
    lifetime_days = serializers.ChoiceField(
        choices=TOKEN_LIFETIMES_DAYS, default=DEFAULT_TOKEN_LIFETIME_DAYS, help_text="Days until the token expires."
    )


class ApiTokenIssuedSerializer(ApiTokenSerializer):
    """A token just made: the listing fields and, this once, the token (passed in ``context["token"]``)."""

    token = serializers.SerializerMethodField(
        help_text="Send as ``Authorization: Token <token>``. Shown once: the portal keeps only a digest."
    )

    @extend_schema_field(str)
    def get_token(self, obj) -> str:
        return self.context["token"]

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields
