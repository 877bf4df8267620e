from django.urls import path

from . import views

auth_urlpatterns = [
    path("register", views.RegisterView.as_view(), name="api-register"),
    path("login", views.LoginView.as_view(), name="api-login"),
    path("2fa/login", views.MfaLoginView.as_view(), name="api-2fa-login"),
    path("2fa/sms", views.MfaSmsView.as_view(), name="api-2fa-sms"),
    path("refresh", views.RefreshView.as_view(), name="api-refresh"),
    path("logout", views.LogoutView.as_view(), name="api-logout"),
    path("me", views.MeView.as_view(), name="api-me"),
    path("verify-email", views.VerifyEmailView.as_view(), name="api-verify-email"),
    path("verify-email/resend", views.VerifyEmailResendView.as_view(), name="api-verify-email-resend"),
    path("password-reset", views.PasswordResetView.as_view(), name="api-password-reset"),
    path("password-reset/confirm", views.PasswordResetConfirmView.as_view(), name="api-password-reset-confirm"),
    path("change-password", views.PasswordChangeView.as_view(), name="api-change-password"),
    path("2fa/enable", views.TwoFactorEnableView.as_view(), name="api-2fa-enable"),
    path("2fa/verify", views.TwoFactorVerifyView.as_view(), name="api-2fa-verify"),
    path("2fa/disable", views.TwoFactorDisableView.as_view(), name="api-2fa-disable"),
    path("phone", views.PhoneNumberView.as_view(), name="api-phone"),
    path("phone/verify", views.PhoneNumberVerifyView.as_view(), name="api-phone-verify"),
    path("phone/resend", views.PhoneNumberResendView.as_view(), name="api-phone-resend"),
]

users_urlpatterns = [
    path("users", views.UserListView.as_view(), name="api-users"),
    path("users/<int:pk>", views.UserDetailView.as_view(), name="api-user-detail"),
]
