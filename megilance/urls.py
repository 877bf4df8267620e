from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.api.urls import auth_urlpatterns, users_urlpatterns
from core import health

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("health/metrics", health.metrics, name="health-metrics"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="openapi-schema"), name="redoc"),
    path("auth/", include(auth_urlpatterns)),
    path("", include(users_urlpatterns)),
    # Discovery first: `projects/recommended` sits beside the marketplace's `projects/<id>`.
    path("", include("discovery.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("contracts.api.urls")),
    path("", include("gigs.api.urls")),
    path("", include("gigs.api.order_urls")),
    path("", include("messaging.api.urls")),
    path("", include("support.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("analytics.api.urls")),
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
]

urlpatterns = [
    path("api/", include(api_urlpatterns)),
    # Support tickets moved from messaging to their own app: old admin bookmarks still arrive.
    re_path(r"^admin/messaging/(?P<rest>(?:supportticket|ticketmessage)/.*)$",
            RedirectView.as_view(url="/admin/support/%(rest)s", permanent=True, query_string=True)),
    path("admin/", admin.site.urls),
    # The texts the page scripts write, in the page's language (gettext() and interpolate() in static/js).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("", include("discovery.urls")),
    path("", include("marketplace.urls")),
    path("", include("contracts.urls")),
    path("", include("gigs.urls")),
    path("", include("gigs.order_urls")),
    path("", include("messaging.urls")),
    path("", include("analytics.urls")),
    path("", include("payments.urls")),
    path("", include("support.urls")),
    path("", include("accounts.urls")),
]

if settings.DEV_INBOX_DIR and apps.is_installed("devtools"):
    urlpatterns += [path("", include("devtools.urls"))]

if not any(settings.STORAGES["default"]["BACKEND"].endswith(name) for name in ("S3Storage",)):
    # Local-disk media (the embedded default). In production media lives on S3 behind signed URLs.
    # Private attachments are never served here: only through /api/attachments/<id>, which checks access.
    urlpatterns += [re_path(r"^media/(?P<path>(?!attachments/).+)$", serve, {"document_root": settings.MEDIA_ROOT})]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
