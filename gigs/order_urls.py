"""Order pages, mounted at the site root."""

from django.urls import path

from . import order_views as views

urlpatterns = [
    path("services/<int:service_pk>/order/", views.order_new, name="order_new"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/pay/", views.order_pay_view, name="order_pay"),
    path("orders/<int:pk>/pay/confirm/", views.order_pay_confirm, name="order_pay_confirm"),
    path("orders/<int:pk>/files/<int:file_pk>/", views.order_file, name="order_file"),
    path("orders/<int:pk>/<slug:action>/", views.order_action, name="order_action"),
]
