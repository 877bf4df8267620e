from django.urls import path

from . import hourly, views

urlpatterns = [
    path("contracts", views.ContractListView.as_view(), name="api-contracts"),
    path("contracts/<int:pk>", views.ContractDetailView.as_view(), name="api-contract-detail"),
    path("contracts/<int:pk>/complete", views.ContractCompleteView.as_view(), name="api-contract-complete"),
    path("contracts/<int:pk>/milestones", views.MilestoneListView.as_view(), name="api-contract-milestones"),
    path("contracts/<int:pk>/dispute", views.ContractDisputeView.as_view(), name="api-contract-dispute"),
    path("milestones/<int:pk>", views.MilestoneDetailView.as_view(), name="api-milestone-detail"),
    path("milestones/<int:pk>/fund", views.MilestoneFundView.as_view(), name="api-milestone-fund"),
    path("milestones/<int:pk>/submit", views.MilestoneSubmitView.as_view(), name="api-milestone-submit"),
    path("milestones/<int:pk>/approve", views.MilestoneApproveView.as_view(), name="api-milestone-approve"),
    path("milestones/<int:pk>/request-changes", views.MilestoneRequestChangesView.as_view(),
         name="api-milestone-request-changes"),
    path("milestones/<int:pk>/refund", views.MilestoneRefundView.as_view(), name="api-milestone-refund"),
    path("disputes", views.DisputeListView.as_view(), name="api-disputes"),
    path("disputes/<int:pk>", views.DisputeDetailView.as_view(), name="api-dispute-detail"),
    path("disputes/<int:pk>/messages", views.DisputeMessagesView.as_view(), name="api-dispute-messages"),
    path("disputes/<int:pk>/resolve", views.DisputeResolveView.as_view(), name="api-dispute-resolve"),
    path("disputes/<int:pk>/withdraw", views.DisputeWithdrawView.as_view(), name="api-dispute-withdraw"),
    path("proposals/<int:pk>/accept", views.ProposalAcceptView.as_view(), name="api-proposal-accept"),
    path("reviews", views.ReviewListView.as_view(), name="api-reviews"),
    path("contracts/<int:pk>/time-entries", hourly.TimeEntryListView.as_view(), name="api-contract-time-entries"),
    path("time-entries/<int:pk>", hourly.TimeEntryDetailView.as_view(), name="api-time-entry-detail"),
    path("contracts/<int:pk>/invoices", hourly.InvoiceListView.as_view(), name="api-contract-invoices"),
    path("invoices/<int:pk>", hourly.InvoiceDetailView.as_view(), name="api-invoice-detail"),
    path("invoices/<int:pk>/dispute", hourly.InvoiceDisputeView.as_view(), name="api-invoice-dispute"),
    path("invoices/<int:pk>/approve", hourly.InvoiceApproveView.as_view(), name="api-invoice-approve"),
    path("invoices/<int:pk>/resolve", hourly.InvoiceResolveView.as_view(), name="api-invoice-resolve"),
]
