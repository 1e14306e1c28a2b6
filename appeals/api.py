from django.http import Http404
from rest_framework import generics

from appeals import selectors
from appeals.serializers import AppealSerializer


class AppealListApi(generics.ListAPIView):
    serializer_class = AppealSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.appeal_list_public()


class AppealDetailApi(generics.RetrieveAPIView):
    serializer_class = AppealSerializer
    lookup_field = "slug"

    def get_object(self):
        appeal = selectors.appeal_get_public(self.kwargs["slug"])
        if appeal is None:
            raise Http404("No such appeal")
        return appeal
