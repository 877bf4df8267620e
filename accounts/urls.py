"""Account pages, mounted at the site root."""

from django.urls import path

from . import views

urlpatterns = [
    path("i18n/setlang/", views.language_choose, name="set_language"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("verify-email/resend/", views.verify_email_resend, name="verify_email_resend"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password-reset/confirm/<str:token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("settings/profile/", views.settings_profile, name="settings_profile"),
    path("settings/password/", views.settings_password, name="settings_password"),
    path("settings/security/", views.settings_security, name="settings_security"),
    path("settings/billing-details/", views.settings_billing_details, name="settings_billing_details"),
]
