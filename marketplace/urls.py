"""Marketplace pages, mounted at the site root."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/cancel/", views.project_cancel, name="project_cancel"),
    path("projects/<int:pk>/propose/", views.project_propose, name="project_propose"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/shortlist/", views.proposal_shortlist, name="proposal_shortlist"),
    path("proposals/<int:pk>/reject/", views.proposal_reject, name="proposal_reject"),
    path("freelancers/", views.freelancer_list, name="freelancer_list"),
    path("freelancers/<int:pk>/", views.freelancer_detail, name="freelancer_detail"),
    path("freelancers/<int:pk>/invite/", views.freelancer_invite, name="freelancer_invite"),
    path("invites/", views.invite_list, name="invite_list"),
    path("invites/<int:pk>/decline/", views.invite_decline, name="invite_decline"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/<int:pk>/delete/", views.portfolio_delete, name="portfolio_delete"),
]
