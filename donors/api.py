"""POST /api/v1/donor-links/: a donor asks for a sign-in link to their page (SPEC "API").

Always 202 with the same body, whether or not the address gave: the lookup and the email are
a task's (donors.services.sign_in_link_request). A malformed address is a 400; too many asks
for one address or from one client a 429 with Retry-After, said the same way for everyone.
"""

from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clients import client_key
from core.money import request_language
from donors.services import sign_in_link_request


class DonorLinkRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


def link_requested_message() -> str:
    return _("If this address has given to us, a link to your gifts is on its way to it. "
             "It works once, for 60 minutes.")


class DonorLinkApi(APIView):
    # Public: no session, so no CSRF coupling; the rate limits guard it.
    authentication_classes = []
    permission_classes = []

    @extend_schema(
        request=DonorLinkRequestSerializer,
        responses={202: inline_serializer("DonorLinkRequested",
                                          {"detail": serializers.CharField()})},
    )
    def post(self, request):
        serializer = DonorLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sign_in_link_request(
            email=serializer.validated_data["email"], client=client_key(request),
            origin=request.build_absolute_uri("/"), language=request_language(request),
        )
        return Response({"detail": link_requested_message()}, status=status.HTTP_202_ACCEPTED)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response
