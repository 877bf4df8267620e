from django.urls import path

from . import views

urlpatterns = [
    path("contracts", views.ContractListView.as_view(), name="api-contracts"),
    path("contracts/<int:pk>", views.ContractDetailView.as_view(), name="api-contract-detail"),
    path("contracts/<int:pk>/complete", views.ContractCompleteView.as_view(), name="api-contract-complete"),
]
