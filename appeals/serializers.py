from rest_framework import serializers

from appeals.models import Appeal, Designation
from core.money import to_major_str


class DesignationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Designation
        fields = ["code", "name"]


class AppealSerializer(serializers.ModelSerializer):
    goal_amount = serializers.SerializerMethodField()
    raised_amount = serializers.SerializerMethodField()
    donor_count = serializers.IntegerField(read_only=True)
    designations = DesignationSerializer(many=True, read_only=True)
    suggested_amounts = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Appeal
        fields = [
            "slug", "title", "summary", "currency", "goal_amount", "raised_amount",
            "donor_count", "designations", "suggested_amounts", "status", "url",
        ]

    def get_goal_amount(self, appeal) -> str:
        return to_major_str(appeal.goal_amount, appeal.currency)

    def get_raised_amount(self, appeal) -> str:
        return to_major_str(appeal.raised_amount, appeal.currency)

    def get_suggested_amounts(self, appeal) -> list[str]:
        return [to_major_str(s.amount, appeal.currency) for s in appeal.suggested_amounts.all()]

    def get_url(self, appeal) -> str:
        request = self.context.get("request")
        path = appeal.get_absolute_url()
        return request.build_absolute_uri(path) if request else path
