from django.urls import path

from connectors import views

app_name = "connectors"

urlpatterns = [
    path("<slug:provider_key>/connect/", views.connect, name="connect"),
    path("<slug:provider_key>/callback/", views.callback, name="callback"),
]
