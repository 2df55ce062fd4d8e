from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.views import healthz
from sync.webinars.webhooks import zoom_webhook

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("connections/", include("connectors.urls")),
    path("webhooks/zoom/", zoom_webhook, name="zoom-webhook"),
]
