"""Contract pages, mounted at the site root."""

from django.urls import path

from . import views, views_hourly

MILESTONE = "contracts/<int:pk>/milestones/<int:milestone_pk>"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/complete/", views.contract_complete_view, name="contract_complete"),
    path("contracts/<int:pk>/review/", views.contract_review, name="contract_review"),
    path("proposals/<int:pk>/accept/", views.proposal_accept_view, name="proposal_accept"),
    path("contracts/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path(f"{MILESTONE}/fund/", views.milestone_fund_view, name="milestone_fund"),
    path(f"{MILESTONE}/fund/confirm/", views.milestone_fund_confirm, name="milestone_fund_confirm"),
    path(f"{MILESTONE}/submit/", views.milestone_submit_view, name="milestone_submit"),
    path(f"{MILESTONE}/request-changes/", views.milestone_request_changes_view, name="milestone_request_changes"),
    path(f"{MILESTONE}/approve/", views.milestone_approve_view, name="milestone_approve"),
    path(f"{MILESTONE}/refund/", views.milestone_refund_view, name="milestone_refund"),
    path(f"{MILESTONE}/dispute/", views.milestone_dispute_view, name="milestone_dispute"),
    path("contracts/<int:pk>/files/<int:file_pk>/", views.submission_file_download, name="submission_file"),
    path("contracts/<int:pk>/disputes/<int:dispute_pk>/withdraw/", views.dispute_withdraw_view,
         name="dispute_withdraw"),
    path("contracts/<int:pk>/disputes/<int:dispute_pk>/evidence/", views.dispute_evidence_download,
         name="dispute_evidence"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("disputes/<int:pk>/messages/", views.dispute_answer, name="dispute_answer"),
    path("disputes/<int:pk>/resolve/", views.dispute_resolve_view, name="dispute_resolve"),
    path("disputes/<int:pk>/files/<int:message_pk>/", views.dispute_message_file, name="dispute_message_file"),
    path("staff/disputes/", views.staff_dispute_list, name="staff_dispute_list"),
    path("contracts/<int:pk>/timesheet/", views_hourly.timesheet, name="contract_timesheet"),
    path("contracts/<int:pk>/timesheet/entries/", views_hourly.time_entry_add, name="time_entry_add"),
    path("contracts/<int:pk>/timesheet/entries/<int:entry_pk>/", views_hourly.time_entry_edit,
         name="time_entry_edit"),
    path("contracts/<int:pk>/timesheet/entries/<int:entry_pk>/delete/", views_hourly.time_entry_delete,
         name="time_entry_delete"),
    path("contracts/<int:pk>/timesheet/limit/", views_hourly.weekly_limit, name="weekly_limit"),
    path("contracts/<int:pk>/invoices/<int:invoice_pk>/approve/", views_hourly.invoice_approve,
         name="invoice_approve"),
    path("contracts/<int:pk>/invoices/<int:invoice_pk>/dispute/", views_hourly.invoice_dispute,
         name="invoice_dispute"),
]
