"""Contract pages, mounted at the site root."""

from django.urls import path

from . import views

urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/complete/", views.contract_complete_view, name="contract_complete"),
    path("contracts/<int:pk>/review/", views.contract_review, name="contract_review"),
]
