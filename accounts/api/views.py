"""The accounts API: each view validates its input, calls one service and shapes the answer."""

from typing import TypedDict

from django.conf import settings
from django.db.models import Q
from django.utils.translation import get_language, gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clientip import client_ip
from core.mobile import mobile_available

from .. import phone, services, two_factor
from ..models import PhoneNumber, User
from ..requests import signed_in_user
from ..throttling import (
    LoginAccountThrottle,
    LoginIPThrottle,
    MfaAccountThrottle,
    MfaIPThrottle,
    PasswordResetAccountThrottle,
    PasswordResetIPThrottle,
    RegisterIPThrottle,
    VerifyResendThrottle,
)
from ..tokens import login_issue, session_revoke_by_refresh, tokens_refresh
from . import serializers as s

ERRORS = {400: s.ErrorSerializer, 401: s.ErrorSerializer, 429: s.ErrorSerializer}


class ClientMeta(TypedDict):
    ip_address: str | None
    user_agent: str


def client_meta(request: Request) -> ClientMeta:
    return {"ip_address": client_ip(request), "user_agent": request.headers.get("User-Agent", "")}


def _valid(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


@extend_schema(tags=["auth"], request=s.RegisterInput, responses={201: s.AccountSerializer, **ERRORS}, auth=[])
class RegisterView(PublicView):
    throttle_classes = [RegisterIPThrottle]

    def post(self, request: Request) -> Response:
        user = services.user_register(**_valid(s.RegisterInput, request), language=get_language())
        return Response(s.AccountSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["auth"], request=s.LoginInput, responses={200: s.LoginOutput, **ERRORS}, auth=[])
class LoginView(PublicView):
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    def post(self, request: Request) -> Response:
        result = services.credentials_check(**_valid(s.LoginInput, request))
        if result.requires_2fa:
            return Response({"requires_2fa": True, "mfa_token": result.mfa_token})
        return Response(services.api_login(user=result.user, **client_meta(request)))


@extend_schema(tags=["auth"], request=s.MfaLoginInput, responses={200: s.LoginOutput, **ERRORS}, auth=[])
class MfaLoginView(PublicView):
    throttle_classes = [MfaIPThrottle, MfaAccountThrottle]

    def post(self, request: Request) -> Response:
        user = services.second_factor_check(**_valid(s.MfaLoginInput, request))
        return Response(services.api_login(user=user, **client_meta(request)))


@extend_schema(tags=["2fa"], request=s.MfaSmsInput,
               responses={200: s.MfaSmsOutput, 409: s.ErrorSerializer, 503: s.ErrorSerializer, **ERRORS},
               auth=[])
class MfaSmsView(PublicView):
    """At the second step of signing in, texts a code to the account's verified phone; send it as `code` to
    `POST /api/auth/2fa/login`."""

    throttle_classes = [MfaIPThrottle, MfaAccountThrottle]

    def post(self, request: Request) -> Response:
        masked = services.second_factor_sms_send(**_valid(s.MfaSmsInput, request))
        return Response({"detail": gettext("A code is on its way by text message."), "phone_number": masked,
                         "expires_in": settings.PHONE_CODE_MAX_AGE})


@extend_schema(tags=["auth"], request=s.RefreshInput, responses={200: s.TokenPairSerializer, **ERRORS}, auth=[])
class RefreshView(PublicView):
    def post(self, request: Request) -> Response:
        return Response(tokens_refresh(**_valid(s.RefreshInput, request)))


@extend_schema(tags=["auth"], request=s.RefreshInput, responses={200: s.DetailSerializer, **ERRORS})
class LogoutView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        user = request.user if request.user.is_authenticated else None
        session_revoke_by_refresh(user=user, **_valid(s.RefreshInput, request))
        return Response({"detail": "Signed out."})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    def _answer(self, user: User) -> Response:
        user = User.objects.prefetch_related("skills").get(pk=user.pk)
        return Response(s.MeSerializer(user, context={"request": self.request}).data)

    @extend_schema(tags=["auth"], responses={200: s.MeSerializer, 401: s.ErrorSerializer})
    def get(self, request: Request) -> Response:
        return self._answer(signed_in_user(request))

    @extend_schema(tags=["auth"], request=s.MeInput, responses={200: s.MeSerializer, **ERRORS})
    def patch(self, request: Request) -> Response:
        data = _valid(s.MeInput, request, partial=True)
        return self._answer(services.profile_update(user=signed_in_user(request), data=data))

    @extend_schema(tags=["auth"], request=s.MeInput, responses={200: s.MeSerializer, **ERRORS})
    def put(self, request: Request) -> Response:
        return self.patch(request)


@extend_schema(tags=["auth"], request=s.TokenInput, responses={200: s.AccountSerializer, **ERRORS}, auth=[])
class VerifyEmailView(PublicView):
    def post(self, request: Request) -> Response:
        user = services.email_verify(**_valid(s.TokenInput, request))
        return Response(s.AccountSerializer(user).data)


@extend_schema(tags=["auth"], request=None, responses={200: s.DetailSerializer, **ERRORS})
class VerifyEmailResendView(APIView):
    throttle_classes = [VerifyResendThrottle]

    def post(self, request: Request) -> Response:
        services.email_verification_resend(user=signed_in_user(request))
        return Response({"detail": "A new verification e-mail is on its way."})


@extend_schema(tags=["auth"], request=s.EmailInput, responses={200: s.DetailSerializer, **ERRORS}, auth=[])
class PasswordResetView(PublicView):
    throttle_classes = [PasswordResetIPThrottle, PasswordResetAccountThrottle]

    def post(self, request: Request) -> Response:
        services.password_reset_request(**_valid(s.EmailInput, request))
        return Response({"detail": "If an account uses that address, a reset link is on its way."})


@extend_schema(tags=["auth"], request=s.PasswordResetConfirmInput, responses={200: s.DetailSerializer, **ERRORS},
               auth=[])
class PasswordResetConfirmView(PublicView):
    throttle_classes = [PasswordResetIPThrottle]

    def post(self, request: Request) -> Response:
        services.password_reset_confirm(**_valid(s.PasswordResetConfirmInput, request))
        return Response({"detail": "Your password has been changed. Sign in with the new one."})


@extend_schema(tags=["auth"], request=s.PasswordChangeInput, responses={200: s.TokenPairSerializer, **ERRORS})
class PasswordChangeView(APIView):
    def post(self, request: Request) -> Response:
        services.password_change(user=signed_in_user(request), **_valid(s.PasswordChangeInput, request))
        # Every earlier session has ended; this caller gets a fresh one.
        return Response(login_issue(user=signed_in_user(request), **client_meta(request)))


@extend_schema(tags=["2fa"], request=None, responses={200: s.TwoFactorSetupOutput, **ERRORS})
class TwoFactorEnableView(APIView):
    def post(self, request: Request) -> Response:
        return Response(two_factor.two_factor_begin(user=signed_in_user(request)))


@extend_schema(tags=["2fa"], request=s.CodeInput, responses={200: s.DetailSerializer, **ERRORS})
class TwoFactorVerifyView(APIView):
    def post(self, request: Request) -> Response:
        two_factor.two_factor_confirm(user=signed_in_user(request), **_valid(s.CodeInput, request))
        return Response({"detail": "Two-factor authentication is on."})


@extend_schema(tags=["2fa"], request=s.CodeInput, responses={200: s.DetailSerializer, **ERRORS})
class TwoFactorDisableView(APIView):
    def post(self, request: Request) -> Response:
        two_factor.two_factor_disable(user=signed_in_user(request), **_valid(s.CodeInput, request))
        return Response({"detail": "Two-factor authentication is off."})


def _phone_state(user: User) -> dict:
    verified = PhoneNumber.objects.filter(user=user).first()
    pending = phone.pending_verification(user)
    return {"phone_number": verified.number if verified else None,
            "verified_at": verified.verified_at if verified else None,
            "pending_number": pending.number if pending else None,
            "code_expires_at": pending.expires_at if pending else None,
            "sms_available": mobile_available()}


class PhoneNumberView(APIView):
    """The caller's verified phone number: `POST` a number to get a code by text, then
    `POST /api/auth/phone/verify` with it; `DELETE` removes the number."""

    @extend_schema(tags=["phone"], responses={200: s.PhoneNumberOutput})
    def get(self, request: Request) -> Response:
        return Response(s.PhoneNumberOutput(_phone_state(signed_in_user(request))).data)

    @extend_schema(tags=["phone"], request=s.PhoneNumberInput,
                   responses={202: s.PhoneNumberOutput, 409: s.ErrorSerializer, 503: s.ErrorSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        phone.phone_verification_start(user=user, **_valid(s.PhoneNumberInput, request))
        return Response(s.PhoneNumberOutput(_phone_state(user)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=["phone"], responses={204: None, 404: s.ErrorSerializer})
    def delete(self, request: Request) -> Response:
        phone.phone_number_remove(user=signed_in_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["phone"], request=s.CodeInput, responses={200: s.PhoneNumberOutput, **ERRORS})
class PhoneNumberVerifyView(APIView):
    def post(self, request: Request) -> Response:
        phone.phone_verification_confirm(user=signed_in_user(request), **_valid(s.CodeInput, request))
        return Response(s.PhoneNumberOutput(_phone_state(signed_in_user(request))).data)


@extend_schema(tags=["phone"], request=None,
               responses={202: s.PhoneNumberOutput, 409: s.ErrorSerializer, 503: s.ErrorSerializer, **ERRORS})
class PhoneNumberResendView(APIView):
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        phone.phone_verification_resend(user=user)
        return Response(s.PhoneNumberOutput(_phone_state(user)).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["users"],
    parameters=[
        OpenApiParameter("search", str, description="E-mail or name contains"),
        OpenApiParameter("user_type", str, enum=["client", "freelancer"]),
        OpenApiParameter("is_active", bool),
    ],
)
class UserListView(generics.ListAPIView):
    """All accounts, for staff."""

    permission_classes = [IsAdminUser]
    serializer_class = s.StaffUserSerializer

    def get_queryset(self):
        queryset = User.objects.order_by("id")
        params = self.request.query_params
        if search := params.get("search", "").strip():
            queryset = queryset.filter(
                Q(email__icontains=search) | Q(first_name__icontains=search) | Q(last_name__icontains=search)
            )
        if (user_type := params.get("user_type")) in ("client", "freelancer"):
            queryset = queryset.filter(user_type=user_type)
        if (active := params.get("is_active")) in ("true", "false"):
            queryset = queryset.filter(is_active=active == "true")
        return queryset


@extend_schema(tags=["users"], auth=[])
class UserDetailView(generics.RetrieveAPIView):
    """A public profile."""

    permission_classes = [AllowAny]
    serializer_class = s.PublicDetailSerializer
    queryset = User.objects.filter(is_active=True).exclude(user_type="").prefetch_related("skills")
