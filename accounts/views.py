"""Account pages: sign-up, sign-in (with the two-factor step), password reset and settings.

Each view checks the form, calls one service and shows the answer. A service's `ApplicationError` is shown
next to the field it names (or at the top of the form), never as a server error.
"""

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError
from core.mobile import mobile_available

from . import phone, services, two_factor
from .forms import (
    BillingDetailsForm,
    CodeForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    PhoneCodeForm,
    PhoneNumberForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
    form_add_service_error,
)
from .models import PhoneNumber
from .requests import signed_in_user
from .throttling import (
    LoginAccountThrottle,
    LoginIPThrottle,
    MfaAccountThrottle,
    MfaIPThrottle,
    PasswordResetAccountThrottle,
    PasswordResetIPThrottle,
    RegisterIPThrottle,
    VerifyResendThrottle,
)

MFA_TOKEN_KEY = "login_mfa_token"
MFA_NEXT_KEY = "login_next"
TWO_FACTOR_SETUP_KEY = "two_factor_setup"
TOO_MANY = "Too many attempts. Wait a little and try again."
PASSWORD_FIELDS = {"new_password": "new_password1", "password": "new_password1"}


# --- helpers ------------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, candidate: str | None = None) -> str:
    """The `next` address if it points into this site, else an empty string."""
    if candidate is None:
        candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _throttled(request: HttpRequest, throttles: list[type], data: dict[str, Any] | None = None) -> bool:
    """The API's request limits, shared with the pages so that neither is a way around the other."""
    shim = SimpleNamespace(META=request.META, headers=request.headers, data=data or {}, user=request.user)
    return not all(throttle().allow_request(shim, None) for throttle in throttles)


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one, so that it shows "required" errors), else None."""
    return request.POST if request.method == "POST" else None


def _sign_in(request: HttpRequest, user: Any) -> None:
    request.session.pop(MFA_TOKEN_KEY, None)
    request.session.pop(MFA_NEXT_KEY, None)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


# --- sign-up and sign-in ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    form = SignupForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if _throttled(request, [RegisterIPThrottle]):
                form.add_error(None, TOO_MANY)
                status = 429
            else:
                try:
                    user = services.user_register(**form.cleaned_data, language=get_language())
                except ApplicationError as exc:
                    form_add_service_error(form, exc)
                else:
                    _sign_in(request, user)
                    messages.success(request, _("Welcome to MegiLance, %(name)s! We sent a link to %(email)s: open "
                                                "it to confirm your e-mail address.")
                                     % {"name": user.first_name, "email": user.email})
                    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    form = LoginForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"]
            if _throttled(request, [LoginIPThrottle, LoginAccountThrottle], {"email": email}):
                form.add_error(None, TOO_MANY)
                status = 429
            else:
                try:
                    result = services.credentials_check(email=email, password=form.cleaned_data["password"])
                except ApplicationError as exc:
                    form.add_error(None, str(exc.detail))
                else:
                    if result.requires_2fa:
                        request.session[MFA_TOKEN_KEY] = result.mfa_token
                        request.session[MFA_NEXT_KEY] = next_url
                        return redirect("login_code")
                    _sign_in(request, result.user)
                    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for accounts with two-factor authentication."""
    mfa_token = request.session.get(MFA_TOKEN_KEY)
    if not mfa_token:
        messages.info(request, _("Sign in with your e-mail address and password first."))
        return redirect("login")
    if request.method == "POST" and request.POST.get("action") == "sms":
        return _login_code_sms(request, mfa_token)
    form = CodeForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if _throttled(request, [MfaIPThrottle, MfaAccountThrottle], {"mfa_token": mfa_token}):
                form.add_error(None, TOO_MANY)
                status = 429
            else:
                try:
                    user = services.second_factor_check(mfa_token=mfa_token, code=form.cleaned_data["code"])
                except ApplicationError as exc:
                    if exc.error_type == "invalid_mfa_token":
                        request.session.pop(MFA_TOKEN_KEY, None)
                        messages.error(request, str(exc.detail))
                        return redirect("login")
                    form.add_error("code", str(exc.detail))
                else:
                    next_url = _safe_next(request, request.session.get(MFA_NEXT_KEY) or "")
                    _sign_in(request, user)
                    return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/login_code.html", {"form": form, "sms": _login_code_sms_offer(mfa_token)},
                  status=status)


def _login_code_sms_offer(mfa_token: str) -> bool:
    """Whether the second step offers "Text me a code" (the account has a verified phone)."""
    try:
        user = services.mfa_token_user(mfa_token=mfa_token)
    except ApplicationError:
        return False
    return phone.login_code_available(user)


def _login_code_sms(request: HttpRequest, mfa_token: str) -> HttpResponse:
    if _throttled(request, [MfaIPThrottle, MfaAccountThrottle], {"mfa_token": mfa_token}):
        messages.error(request, TOO_MANY)
        return redirect("login_code")
    try:
        masked = services.second_factor_sms_send(mfa_token=mfa_token)
    except ApplicationError as exc:
        if exc.error_type == "invalid_mfa_token":
            request.session.pop(MFA_TOKEN_KEY, None)
            messages.error(request, str(exc.detail))
            return redirect("login")
        messages.error(request, str(exc.detail))
    else:
        messages.success(request, _("We texted a code to %(number)s. Enter it below.") % {"number": masked})
    return redirect("login_code")


@require_http_methods(["GET", "HEAD", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        messages.success(request, _("You are logged out."))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(request, "accounts/logout.html")


# --- e-mail verification ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_verify(token=token)
    except ApplicationError as exc:
        return render(request, "accounts/verify_email.html", {"error": str(exc.detail)}, status=400)
    return render(request, "accounts/verify_email.html", {"verified_email": user.email})


@require_POST
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("settings_profile"))
    if _throttled(request, [VerifyResendThrottle]):
        messages.error(request, _("You asked for several links already. Wait an hour and try again."))
    else:
        try:
            services.email_verification_resend(user=request.user)
        except ApplicationError as exc:
            messages.info(request, str(exc.detail))
        else:
            messages.success(request, _("We sent a new confirmation link to %(email)s.")
                             % {"email": request.user.email})
    return redirect(_safe_next(request) or reverse("settings_profile"))


# --- password reset -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            email = form.cleaned_data["email"]
            if _throttled(request, [PasswordResetIPThrottle, PasswordResetAccountThrottle], {"email": email}):
                form.add_error(None, TOO_MANY)
                status = 429
            else:
                services.password_reset_request(email=email)
                return redirect("password_reset_sent")
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


@require_http_methods(["GET", "HEAD", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if not services.password_reset_token_valid(token=token):
        return render(request, "accounts/password_reset_confirm.html", {"invalid": True}, status=400)
    form = SetPasswordForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if _throttled(request, [PasswordResetIPThrottle]):
                form.add_error(None, TOO_MANY)
                status = 429
            else:
                try:
                    services.password_reset_confirm(token=token, new_password=form.cleaned_data["new_password1"])
                except ApplicationError as exc:
                    if exc.error_type == "invalid_token":
                        return render(request, "accounts/password_reset_confirm.html", {"invalid": True},
                                      status=400)
                    form_add_service_error(form, exc, PASSWORD_FIELDS)
                else:
                    messages.success(request, _("Your password has been changed. Log in with your new password."))
                    return redirect("login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form}, status=status)


# --- settings -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            old_email = user.email
            try:
                updated = services.profile_update(user=user, data=form.service_data())
            except ApplicationError as exc:
                form_add_service_error(form, exc)
            else:
                if updated.language:  # the confirmation already speaks the language just chosen
                    translation.activate(updated.language)
                messages.success(request, _("Your profile has been saved."))
                if updated.email != old_email:
                    messages.info(request, _("We sent a link to %(email)s: open it to confirm your new address.")
                                  % {"email": updated.email})
                return redirect("settings_profile")
        status = 400
    else:
        form = ProfileForm(initial=ProfileForm.initial_for(user), user=user)
        status = 200
    return render(request, "accounts/settings_profile.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(_posted(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.password_change(user=signed_in_user(request),
                                         current_password=form.cleaned_data["current_password"],
                                         new_password=form.cleaned_data["new_password1"])
            except ApplicationError as exc:
                form_add_service_error(form, exc, PASSWORD_FIELDS)
            else:
                # This browser stays signed in; others are not.
                update_session_auth_hash(request, signed_in_user(request))
                messages.success(request, _("Your password has been changed. Other devices have been signed out."))
                return redirect("settings_profile")
    return render(request, "accounts/settings_password.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_security(request: HttpRequest) -> HttpResponse:
    """Two-factor authentication: turn it on (QR code, secret, backup codes, confirm) or off."""
    user = signed_in_user(request)
    enabled = two_factor.is_enabled(user)
    setup = None if enabled else request.session.get(TWO_FACTOR_SETUP_KEY)
    backup_codes: list[str] = []
    code_form = CodeForm()
    status = 200
    action = request.POST.get("action") if request.method == "POST" else None

    if action == "begin":
        try:
            started = two_factor.two_factor_begin(user=user)
        except ApplicationError as exc:
            messages.info(request, str(exc.detail))
            return redirect("settings_security")
        # The secret stays in the session until confirmed, so a mistyped code can be tried again;
        # the backup codes are only ever in this one response.
        setup = {"secret": started["secret"], "qr_code": started["qr_code"]}
        request.session[TWO_FACTOR_SETUP_KEY] = setup
        backup_codes = started["backup_codes"]
    elif action == "confirm":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                two_factor.two_factor_confirm(user=user, code=code_form.cleaned_data["code"])
            except ApplicationError as exc:
                code_form.add_error("code", str(exc.detail))
            else:
                request.session.pop(TWO_FACTOR_SETUP_KEY, None)
                messages.success(request, _("Two-factor authentication is on. You will need a code when you log in."))
                return redirect("settings_security")
        status = 400
    elif action == "disable":
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                two_factor.two_factor_disable(user=user, code=code_form.cleaned_data["code"])
            except ApplicationError as exc:
                code_form.add_error("code", str(exc.detail))
            else:
                request.session.pop(TWO_FACTOR_SETUP_KEY, None)
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("settings_security")
        status = 400
    elif action in PHONE_ACTIONS:
        return _settings_phone(request, action)
    elif request.method == "POST":
        messages.error(request, _("Choose what to do: turn two-factor authentication on or off."))
        return redirect("settings_security")

    context = {
        "enabled": enabled,
        "setup": setup,
        "backup_codes": backup_codes,
        "backup_codes_left": two_factor.backup_codes_left(user) if enabled else 0,
        "code_form": code_form,
        **_phone_context(request),
    }
    return render(request, "accounts/settings_security.html", context, status=status)


PHONE_ACTIONS = ("phone_start", "phone_confirm", "phone_resend", "phone_remove")


def _phone_context(request: HttpRequest, number_form: PhoneNumberForm | None = None,
                   phone_code_form: PhoneCodeForm | None = None) -> dict[str, Any]:
    user = signed_in_user(request)
    verified = PhoneNumber.objects.filter(user=user).first()
    return {
        "sms_available": mobile_available(),
        "phone": verified,
        "phone_pending": phone.pending_verification(user),
        "number_form": number_form or PhoneNumberForm(prefix="phone"),
        "phone_code_form": phone_code_form or PhoneCodeForm(prefix="phone"),
    }


def _settings_phone(request: HttpRequest, action: str) -> HttpResponse:
    """The phone number part of the security page: send a code, confirm it, send another, remove the number."""
    user = signed_in_user(request)
    number_form = phone_code_form = None
    try:
        if action == "phone_start":
            number_form = PhoneNumberForm(request.POST, prefix="phone")
            if number_form.is_valid():
                phone.phone_verification_start(user=user, phone_number=number_form.cleaned_data["phone_number"])
                messages.success(request, _("We texted a code to your phone. Enter it below to verify the number."))
                return redirect("settings_security")
        elif action == "phone_confirm":
            phone_code_form = PhoneCodeForm(request.POST, prefix="phone")
            if phone_code_form.is_valid():
                phone.phone_verification_confirm(user=user, code=phone_code_form.cleaned_data["code"])
                messages.success(request, _("Your phone number is verified."))
                return redirect("settings_security")
        elif action == "phone_resend":
            phone.phone_verification_resend(user=user)
            messages.success(request, _("We texted you a new code."))
            return redirect("settings_security")
        else:
            phone.phone_number_remove(user=user)
            messages.success(request, _("Your phone number is removed."))
            return redirect("settings_security")
    except ApplicationError as exc:
        if number_form is not None:
            form_add_service_error(number_form, exc)
        elif phone_code_form is not None and exc.error_type != "code_expired":
            form_add_service_error(phone_code_form, exc)
        else:
            messages.error(request, str(exc.detail))
            return redirect("settings_security")
    enabled = two_factor.is_enabled(user)
    context = {
        "enabled": enabled,
        "setup": None if enabled else request.session.get(TWO_FACTOR_SETUP_KEY),
        "backup_codes": [],
        "backup_codes_left": two_factor.backup_codes_left(user) if enabled else 0,
        "code_form": CodeForm(),
        **_phone_context(request, number_form, phone_code_form),
    }
    return render(request, "accounts/settings_security.html", context, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_billing_details(request: HttpRequest) -> HttpResponse:
    """The name, address and tax ID on the caller's receipts and statements; every member has them."""
    user = signed_in_user(request)
    if request.method == "POST":
        form = BillingDetailsForm(request.POST)
        if form.is_valid():
            services.billing_details_update(user=user, data=form.cleaned_data)
            messages.success(request, _("Your billing details have been saved. Payments from now on carry them; "
                                        "earlier receipts keep the details they were made with."))
            return redirect("settings_billing_details")
        status = 400
    else:
        profile = services.billing_details_get(user)
        form = BillingDetailsForm(initial={field: getattr(profile, field) for field in profile.FIELDS})
        status = 200
    return render(request, "accounts/settings_billing_details.html", {"form": form}, status=status)


@require_POST
def language_choose(request: HttpRequest) -> HttpResponse:
    """The language switcher: Django's set_language (the cookie, then back to the page) and, for a signed-in
    person, the choice saved on their profile so e-mails follow it too."""
    from django.views.i18n import set_language

    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {code for code, _ in settings.LANGUAGES}:
        services.language_set(user=request.user, language=language)
    return response
