from django.urls import path

from . import views

urlpatterns = [
    path("projects", views.ProjectListView.as_view(), name="api-projects"),
    path("projects/<int:pk>", views.ProjectDetailView.as_view(), name="api-project-detail"),
    path("projects/<int:pk>/attachments", views.ProjectAttachmentsView.as_view(), name="api-project-attachments"),
    path("categories", views.CategoryListView.as_view(), name="api-categories"),
    path("attachments/<int:pk>", views.AttachmentView.as_view(), name="api-attachment-download"),
    path("proposals", views.ProposalListView.as_view(), name="api-proposals"),
    path("proposals/<int:pk>", views.ProposalDetailView.as_view(), name="api-proposal-detail"),
    path("proposals/<int:pk>/reject", views.ProposalRejectView.as_view(), name="api-proposal-reject"),
    path("proposals/<int:pk>/withdraw", views.ProposalWithdrawView.as_view(), name="api-proposal-withdraw"),
    path("proposals/<int:pk>/shortlist", views.ProposalShortlistView.as_view(), name="api-proposal-shortlist"),
    path("proposals/<int:pk>/attachments", views.ProposalAttachmentsView.as_view(),
         name="api-proposal-attachments"),
    path("invites", views.InviteListView.as_view(), name="api-invites"),
    path("invites/<int:pk>/decline", views.InviteDeclineView.as_view(), name="api-invite-decline"),
    path("portfolio", views.PortfolioListView.as_view(), name="api-portfolio"),
    path("portfolio/<int:pk>", views.PortfolioDetailView.as_view(), name="api-portfolio-detail"),
    path("freelancers", views.FreelancerListView.as_view(), name="api-freelancers"),
    path("freelancers/<int:pk>", views.FreelancerDetailView.as_view(), name="api-freelancer-detail"),
]
