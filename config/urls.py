from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from appeals import api as appeals_api
from attribution import api as attribution_api
from attribution import views as attribution_views
from donations import api as donations_api
from donors import api as donors_api
from finance.urls import api_urlpatterns as finance_api

api_v1 = [
    path("appeals/", appeals_api.AppealListApi.as_view(), name="appeal-list"),
    path("appeals/<slug:slug>/", appeals_api.AppealDetailApi.as_view(), name="appeal-detail"),
    path("donations/", donations_api.DonationCreateApi.as_view(), name="donation-create"),
    path("donations/<uuid:pk>/", donations_api.DonationDetailApi.as_view(), name="donation-detail"),
    path("donations/<uuid:pk>/pay/", donations_api.DonationPayApi.as_view(), name="donation-pay"),
    path("regular-gifts/<uuid:pk>/", donations_api.RegularGiftDetailApi.as_view(),
         name="regular-gift-detail"),
    path("donor-links/", donors_api.DonorLinkApi.as_view(), name="donor-links"),
    *finance_api,
    path("publishers/<str:source>/stats/", attribution_api.PublisherStatsApi.as_view(),
         name="publisher-stats"),
    path("publishers/<str:source>/stats.csv", attribution_api.PublisherStatsCsv.as_view(),
         name="publisher-stats-csv"),
    # The appeal page's view beacon (static/js/attribution.js): not a public API, not in the
    # schema.
    path("views/", attribution_api.page_view_beacon, name="page-view-beacon"),
]

def media(request, path):
    """Uploaded files, from MEDIA_ROOT as it is now (read per request, not at import)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    # The donor's pages first: the appeal page is the busiest URL, and each pattern tried
    # before it costs a little on every view.
    path("", include("pages.urls")),
    # Admin-only reports, before the admin's catch-all.
    path("admin/reports/appeals/<slug:slug>/attribution/",
         attribution_views.appeal_attribution_report, name="appeal-attribution-report"),
    path("admin/", admin.site.urls),
    # The pages' language switcher posts here: Django's set_language keeps the choice in the
    # language cookie and goes back to `next`. Without a CSRF token, as the shared appeal page
    # cannot carry one: another site could at most change a reader's language
    # (docs/languages.md).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("api/v1/", include((api_v1, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    # Swagger UI adds <style> elements as it renders: inline style is allowed on this page only.
    path("api/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("finance/", include("finance.urls")),
    path("", include("donations.urls")),
    # Uploaded appeal images. Behind a real proxy these are served by it; kept here so the
    # single-process setups (`make run`, tests) show them too.
    path("media/<path:path>", media),
]

# An API client asking for a malformed id gets JSON, as for any other API 404.
handler404 = "core.errors.page_not_found"
