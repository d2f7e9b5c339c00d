from rest_framework import serializers


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as ``Authorization: Token <token>``. Shown once per issue.")
    created = serializers.DateTimeField()
