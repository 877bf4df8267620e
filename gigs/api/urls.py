from django.urls import path

from . import views

urlpatterns = [
    path("services", views.ServiceListView.as_view(), name="api-services"),
    path("services/<int:pk>", views.ServiceDetailView.as_view(), name="api-service-detail"),
    path("services/<int:pk>/images", views.ServiceImagesView.as_view(), name="api-service-images"),
]
