from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.views import healthz
from sync.webinars.webhooks import zoom_webhook
from sync.workflow_action.views import add_to_webinar

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("connections/", include("connectors.urls")),
    path("api/v1/", include("meetings.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("webhooks/zoom/", zoom_webhook, name="zoom-webhook"),
    path("hubspot/actions/add-to-webinar/", add_to_webinar, name="hubspot-action-add-to-webinar"),
]
