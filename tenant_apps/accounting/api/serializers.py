from rest_framework import serializers

from tenant_apps.accounting.models import Account, Fund


class AccountSerializer(serializers.ModelSerializer[Account]):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Account
        fields = ["code", "name", "type", "normal_balance", "parent", "ucoa_code", "is_active"]


class FundSerializer(serializers.ModelSerializer[Fund]):
    class Meta:
        model = Fund
        fields = ["code", "name", "restriction", "description", "is_active"]
