"""Discovery's pages, mounted at the site root beside the marketplace's."""

from django.urls import path

from . import views

app_name = "discovery"

urlpatterns = [
    path("projects/best-matches/", views.best_matches, name="best_matches"),
    path("projects/<int:pk>/recommended/<int:freelancer_pk>/invite/", views.recommended_invite,
         name="recommended_invite"),
    path("saved-searches/", views.saved_search_list, name="saved_searches"),
    path("saved-searches/<int:pk>/", views.saved_search_edit, name="saved_search_edit"),
    path("saved-searches/<int:pk>/delete/", views.saved_search_delete, name="saved_search_delete"),
]
