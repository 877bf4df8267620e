"""Service pages, mounted at the site root. (The order page, `/services/<id>/order/`, is the orders'.)"""

from django.urls import path

from . import views

urlpatterns = [
    path("services/", views.service_list, name="service_list"),
    path("services/new/", views.service_create, name="service_create"),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("services/<int:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<int:pk>/status/", views.service_status, name="service_status"),
    path("services/<int:pk>/delete/", views.service_delete, name="service_delete"),
    path("services/<int:pk>/images/<int:image_pk>/delete/", views.service_image_delete,
         name="service_image_delete"),
]
