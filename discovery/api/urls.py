from django.urls import path

from . import views

urlpatterns = [
    # Before marketplace's `projects/<int:pk>` (megilance/urls.py includes these first).
    path("projects/recommended", views.RecommendedProjectsView.as_view(), name="api-projects-recommended"),
    path("projects/<int:pk>/recommended-freelancers", views.RecommendedFreelancersView.as_view(),
         name="api-project-recommended-freelancers"),
    path("price-guidance", views.PriceGuidanceView.as_view(), name="api-price-guidance"),
    path("saved-searches", views.SavedSearchListView.as_view(), name="api-saved-searches"),
    path("saved-searches/<int:pk>", views.SavedSearchDetailView.as_view(), name="api-saved-search-detail"),
    path("skills", views.SkillListView.as_view(), name="api-skills"),
]
