"""The local Stripe emulator (localstripe) as `make run` and the tests start it, with what MegiLance needs of Connect.

localstripe keeps its state in a fixed file under /tmp; here each instance gets its own file (or none),
so two instances on one machine do not share customers and payments.

On top of localstripe this adds, kept in localstripe's store so it persists and resets like the rest:

- `GET /v1/account`: the platform account (or, with a `Stripe-Account` header, that connected account).
- Connect accounts: `POST/GET /v1/accounts`, `GET/POST/DELETE /v1/accounts/<id>`.
- `POST /v1/account_links` and `/connect/onboarding/<token>`, a stand-in for Stripe's hosted onboarding
  page; `POST /_config/accounts/<id>/complete` finishes onboarding without the page.
- Transfers: `POST/GET /v1/transfers`, `GET/POST /v1/transfers/<id>`, `GET /v1/transfers/<id>/reversals`.
- `GET /v1/balance` computed from the balance transactions: charges less refunds less transfers, per
  currency.
- Idempotency keys on every `POST /v1/...`, as Stripe keeps them (same key and parameters: the saved
  response again, with `Idempotent-Replayed: true`; same key, other parameters or endpoint: an
  `idempotency_error`).
- Search by query: `GET /v1/payment_intents/search` (and charges, customers), e.g.
  `query=metadata['operation']:'fund-milestone-7-1'`, in Stripe's `search_result` shape.
- An unknown `Stripe-Account` header is refused; `DELETE /_config/webhooks/<name>` removes a webhook.
- Saved cards: SetupIntents attach their card to the customer (3-D Secure with `_authenticate`), and
  off-session PaymentIntents are refused with `authentication_required` when the bank wants the card holder.
"""

from __future__ import annotations

import contextvars
import copy
import hashlib
import html
import json
import pickle
import re
import socket
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe import server
from localstripe.errors import UserError
from localstripe.resources import (
    Balance,
    BalanceTransaction,
    Charge,
    Event,
    List,
    PaymentIntent,
    PaymentMethod,
    Refund,
    SetupIntent,
    StripeObject,
    random_id,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.webhooks import _webhooks, schedule_webhook

PLATFORM_NAME = "MegiLance"
PLATFORM_COUNTRY = "US"
ACCOUNT_LINK_LIFETIME = 300  # seconds, as Stripe's account links
IDEMPOTENCY_LIFETIME = 24 * 60 * 60
CURRENCY_OF_COUNTRY = {
    "US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "NZ": "nzd", "CH": "chf", "JP": "jpy", "SG": "sgd",
    "HK": "hkd", "IN": "inr", "PK": "pkr", "SE": "sek", "NO": "nok", "DK": "dkk", "PL": "pln", "MX": "mxn",
    "BR": "brl", "AE": "aed",
}
EURO_COUNTRIES = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT",
                  "NL", "PT", "SI", "SK"}
# What Stripe asks of a new US Express account before it can receive transfers.
ONBOARDING_REQUIREMENTS = [
    "business_profile.mcc", "business_profile.url", "business_type", "external_account",
    "representative.first_name", "representative.last_name", "tos_acceptance.date", "tos_acceptance.ip",
]
INSUFFICIENT_FUNDS = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly to your "
    "available balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)

# The connected account a request acts for (its `Stripe-Account` header), seen by `GET /v1/balance`.
_acting_account: contextvars.ContextVar[str | None] = contextvars.ContextVar("acting_account", default=None)
# The API key of the request, for error messages that show it masked as Stripe does.
_request_key: contextvars.ContextVar[str] = contextvars.ContextVar("request_key", default="sk_test_")
_state: dict[str, Any] = {"platform_id": None, "installed": False}


# --- errors shaped like Stripe's ------------------------------------------------------------------


class StripeError(UserError):
    """`{"error": {"type", "message", "code", "param"}}`. `saved`: the endpoint ran, so an idempotency key
    keeps this result (Stripe does not keep results of requests refused while checking parameters)."""

    def __init__(self, status: int, message: str, *, code: str | None = None, param: str | None = None,
                 error_type: str = "invalid_request_error", saved: bool = False) -> None:
        contents = {key: value for key, value in (("code", code), ("param", param)) if value}
        super().__init__(status, message, contents)
        self.body["error"]["type"] = error_type
        self.saved = saved


def _unknown(data: dict[str, Any], allowed: set[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            name = f"{prefix}[{key}]" if prefix else key
            raise StripeError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def _missing(name: str) -> StripeError:
    return StripeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


def _invalid(name: str, message: str) -> StripeError:
    return StripeError(400, message, code="parameter_invalid_string", param=name)


def _string(data: dict[str, Any], name: str, *, required: bool = False, max_length: int = 5000) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise _missing(name)
        return None
    if not isinstance(value, str):
        raise _invalid(name, f"Invalid string: {name} must be a string")
    if len(value) > max_length:
        raise _invalid(name, f"Invalid string: must be at most {max_length} characters")
    return value


def _metadata(value: Any, current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's metadata rules: strings only; on update keys merge, an empty value removes a key and an
    empty `metadata` removes them all."""
    result = dict(current or {})
    if value is None:
        return result
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("metadata", "Invalid object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _invalid(f"metadata[{key}]", "Metadata values must be strings")
        if len(key) > 40 or len(item) > 500:
            raise _invalid(f"metadata[{key}]", "Metadata keys are at most 40 characters, values at most 500")
        if item == "":
            result.pop(key, None)
        else:
            result[key] = item
    if len(result) > 50:
        raise _invalid("metadata", "Metadata can have at most 50 keys")
    return result


def _masked(api_key: str) -> str:
    return api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]


def _no_access(account_id: str, api_key: str) -> StripeError:
    return StripeError(
        403,
        f"The provided key '{_masked(api_key)}' does not have access to account '{account_id}' (or that account "
        "does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def _api_key(request: Any) -> str:
    return server.get_api_key(request) or ""


def _send_event(event_type: str, obj: StripeObject, *, account: str | None = None,
                previous: dict[str, Any] | None = None) -> Event:
    """An event through localstripe's own machinery (stored, listed at /v1/events, sent signed ~1 s later)."""
    event = Event(event_type, obj)
    event.data = {"object": copy.deepcopy(event.data["object"])}
    if previous is not None:
        event.data["previous_attributes"] = copy.deepcopy(previous)
    if account:
        event.account = account  # Connect events carry the connected account they happened on
    schedule_webhook(event)
    return event


def _newest_first(items: list[Any]) -> list[Any]:
    # The store keeps insertion order; Stripe lists newest first.
    return list(reversed(items))


# --- accounts -------------------------------------------------------------------------------------


def _requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [], "current_deadline": None, "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None, "errors": [],
        "eventually_due": list(due), "past_due": list(due), "pending_verification": [],
    }


BUSINESS_PROFILE_FIELDS = {"annual_revenue", "estimated_worker_count", "mcc", "name", "product_description",
                           "support_address", "support_email", "support_phone", "support_url", "url"}
SETTINGS_SECTIONS = {"branding", "card_payments", "dashboard", "payments", "payouts"}


class Account(StripeObject):
    object = "account"
    _id_prefix = "acct_"
    _platform = False

    _CREATE_PARAMS = frozenset({"type", "country", "email", "capabilities", "metadata", "business_type",
                               "business_profile", "default_currency", "settings", "tos_acceptance"})
    _UPDATE_PARAMS = frozenset({"email", "metadata", "business_profile", "capabilities", "settings",
                               "default_currency"})

    def __init__(self, **data: Any) -> None:
        _unknown(data, set(self._CREATE_PARAMS))
        account_type = _string(data, "type")
        if account_type is None:
            raise StripeError(400, "You must specify the type of account to create (`type`).",
                              code="parameter_missing", param="type")
        if account_type not in ("express", "custom", "standard"):
            raise StripeError(400, "Invalid type: must be one of custom, express, or standard",
                              code="parameter_invalid_string", param="type")
        country = (_string(data, "country") or PLATFORM_COUNTRY).upper()
        if len(country) != 2 or not country.isalpha():
            raise _invalid("country", f"Country '{country}' is unknown. Try using a 2-character alphanumeric "
                                      "country code instead, such as 'US', 'EG', or 'GB'.")
        default_currency = (_string(data, "default_currency") or _currency_of(country)).lower()
        business_type = _string(data, "business_type")
        if business_type not in (None, "individual", "company", "non_profit", "government_entity"):
            raise _invalid("business_type", "Invalid business_type")
        capabilities = self._requested_capabilities(data.get("capabilities"))
        metadata = _metadata(data.get("metadata"))
        business_profile = self._business_profile(data.get("business_profile"), {})
        settings = self._settings(data.get("settings"), self._default_settings())
        tos = data.get("tos_acceptance") or {}
        if not isinstance(tos, dict):
            raise _invalid("tos_acceptance", "Invalid object")
        _unknown(tos, {"service_agreement", "date", "ip", "user_agent"}, "tos_acceptance")

        # All exceptions must be raised before this point.
        super().__init__("acct_" + random_id(16))
        self.type = account_type
        self.business_profile = business_profile
        self.business_type = business_type
        self.capabilities = dict.fromkeys(capabilities, "inactive")
        self.charges_enabled = False
        self.controller = {"is_controller": True, "type": "application"}
        self.country = country
        self.default_currency = default_currency
        self.details_submitted = False
        self.email = _string(data, "email")
        self.external_accounts = self._external_accounts(self.id, [])
        self.future_requirements = _requirements([])
        self.metadata = metadata
        self.payouts_enabled = False
        self.requirements = _requirements(ONBOARDING_REQUIREMENTS)
        self.settings = settings
        self.tos_acceptance = {"date": try_convert_to_int(tos.get("date")), "ip": tos.get("ip"),
                               "user_agent": tos.get("user_agent")}
        if tos.get("service_agreement"):
            self.tos_acceptance["service_agreement"] = tos["service_agreement"]

    # the platform: made without the checks, once per emulator instance (and again after a reset)
    @classmethod
    def _platform_account(cls) -> Account:
        account_id = _state["platform_id"]
        existing = store.get("account:" + account_id)
        if existing is not None:
            return existing
        account = cls.__new__(cls)
        StripeObject.__init__(account, account_id)
        account._platform = True
        account.type = "standard"
        account.business_profile = {**dict.fromkeys(BUSINESS_PROFILE_FIELDS), "name": PLATFORM_NAME,
                                    "mcc": "7372", "url": "https://megilance.example"}
        account.business_type = "company"
        account.capabilities = {"card_payments": "active", "transfers": "active"}
        account.charges_enabled = True
        account.country = PLATFORM_COUNTRY
        account.default_currency = _currency_of(PLATFORM_COUNTRY)
        account.details_submitted = True
        account.email = "platform@megilance.example"
        account.external_accounts = cls._external_accounts(
            account_id, [_bank_account(account_id, PLATFORM_COUNTRY, "usd")])
        account.future_requirements = _requirements([])
        account.metadata = {}
        account.payouts_enabled = True
        account.requirements = _requirements([])
        account.settings = cls._default_settings()
        account.settings["dashboard"]["display_name"] = PLATFORM_NAME
        account.tos_acceptance = {"date": account.created, "ip": "127.0.0.1", "user_agent": None}
        return account

    @staticmethod
    def _default_settings() -> dict[str, Any]:
        return {
            "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
            "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": False},
                              "statement_descriptor_prefix": None},
            "dashboard": {"display_name": None, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None},
            "payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"},
                        "statement_descriptor": None},
        }

    @staticmethod
    def _external_accounts(account_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"object": "list", "data": items, "has_more": False, "total_count": len(items),
                "url": f"/v1/accounts/{account_id}/external_accounts"}

    @staticmethod
    def _requested_capabilities(value: Any) -> list[str]:
        if value is None or value == "":
            return []
        if not isinstance(value, dict):
            raise _invalid("capabilities", "Invalid object")
        requested = []
        for name, options in value.items():
            if not isinstance(options, dict):
                raise _invalid(f"capabilities[{name}]", "Invalid object")
            _unknown(options, {"requested"}, f"capabilities[{name}]")
            flag = try_convert_to_bool(options.get("requested"))
            if not isinstance(flag, bool):
                raise StripeError(400, "Invalid boolean", code="parameter_invalid_boolean",
                                  param=f"capabilities[{name}][requested]")
            if flag:
                requested.append(name)
        return requested

    @staticmethod
    def _business_profile(value: Any, current: dict[str, Any]) -> dict[str, Any]:
        result = {**dict.fromkeys(BUSINESS_PROFILE_FIELDS), **current}
        if value is None:
            return result
        if not isinstance(value, dict):
            raise _invalid("business_profile", "Invalid object")
        _unknown(value, BUSINESS_PROFILE_FIELDS, "business_profile")
        result.update({key: (item if item != "" else None) for key, item in value.items()})
        return result

    @staticmethod
    def _settings(value: Any, current: dict[str, Any]) -> dict[str, Any]:
        result = copy.deepcopy(current)
        if value is None:
            return result
        if not isinstance(value, dict):
            raise _invalid("settings", "Invalid object")
        _unknown(value, SETTINGS_SECTIONS, "settings")

        def merge(into: dict[str, Any], new: dict[str, Any]) -> None:
            for key, item in new.items():
                if isinstance(item, dict) and isinstance(into.get(key), dict):
                    merge(into[key], item)
                else:
                    into[key] = item

        merge(result, value)
        return result

    # API
    @classmethod
    def _api_retrieve(cls, id: str) -> Account:
        if id == _state["platform_id"]:
            return cls._platform_account()
        account = store.get("account:" + id)
        if account is None:
            raise _no_access(id, _request_key.get())
        return account

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Account:
        account = cls._api_retrieve(id)
        _unknown(data, set(cls._UPDATE_PARAMS))
        before = account._export()
        changes: dict[str, Any] = {}
        if "email" in data:
            changes["email"] = _string(data, "email")
        if "metadata" in data:
            changes["metadata"] = _metadata(data["metadata"], account.metadata)
        if "business_profile" in data:
            changes["business_profile"] = cls._business_profile(data["business_profile"], account.business_profile)
        if "settings" in data:
            changes["settings"] = cls._settings(data["settings"], account.settings)
        if "default_currency" in data:
            changes["default_currency"] = (_string(data, "default_currency", required=True) or "").lower()
        if "capabilities" in data:
            requested = cls._requested_capabilities(data["capabilities"])
            capabilities = dict(account.capabilities)
            for name in requested:
                capabilities.setdefault(name, "active" if account.details_submitted else "inactive")
            changes["capabilities"] = capabilities
        for key, value in changes.items():
            setattr(account, key, value)
        account._announce(before)
        return account

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        account = cls._api_retrieve(id)
        if account._platform:
            raise StripeError(400, "You cannot delete your own account through the API.", param="account")
        return super()._api_delete(id)

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _unknown(kwargs, set())
        li = List(url, limit=limit, starting_after=starting_after)
        li._list = _newest_first([value for key, value in store.items()
                                  if key.startswith("account:") and not value._platform])
        return li

    def _announce(self, before: dict[str, Any]) -> None:
        """`account.updated` with the attributes that changed, if any did."""
        after = self._export()
        previous = {key: value for key, value in before.items() if after.get(key) != value}
        if previous:  # a connected account's event names it; the platform's own events do not
            _send_event("account.updated", self, account=None if self._platform else self.id, previous=previous)

    def _complete_onboarding(self, *, ip: str | None = None, user_agent: str | None = None) -> None:
        """What Stripe's hosted onboarding leaves behind once the person finished it."""
        before = self._export()
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities or ["transfers"], "active")
        self.requirements = _requirements([])
        self.future_requirements = _requirements([])
        self.business_type = self.business_type or "individual"
        self.business_profile = {**self.business_profile, "mcc": self.business_profile.get("mcc") or "5734",
                                 "url": self.business_profile.get("url") or "https://megilance.example"}
        self.tos_acceptance = {**self.tos_acceptance, "date": int(time.time()), "ip": ip or "127.0.0.1",
                               "user_agent": user_agent}
        if not self.external_accounts["data"]:
            self.external_accounts = self._external_accounts(
                self.id, [_bank_account(self.id, self.country, self.default_currency)])
        self._announce(before)


def _currency_of(country: str) -> str:
    if country in EURO_COUNTRIES:
        return "eur"
    return CURRENCY_OF_COUNTRY.get(country, "usd")


def _bank_account(account_id: str, country: str, currency: str) -> dict[str, Any]:
    return {
        "id": "ba_" + random_id(24), "object": "bank_account", "account": account_id,
        "account_holder_name": None, "account_holder_type": None, "available_payout_methods": ["standard"],
        "bank_name": "STRIPE TEST BANK", "country": country, "currency": currency,
        "default_for_currency": True, "fingerprint": random_id(16), "last4": "6789", "metadata": {},
        "routing_number": "110000000", "status": "new",
    }


# --- transfers and the balance --------------------------------------------------------------------


class TransferBalanceTransaction(BalanceTransaction):
    """The balance transaction of a transfer (localstripe's own accepts only charges and refunds)."""

    def __init__(self, transfer: Transfer) -> None:
        StripeObject.__init__(self)
        self.amount = -transfer.amount
        self.available_on = self.created
        self.currency = transfer.currency
        self.description = transfer.description
        self.exchange_rate = None
        self.fee = 0
        self.fee_details: list[dict[str, Any]] = []
        self.reporting_category = "transfer"
        self.source = transfer.id
        self.status = "available"
        self.type = "transfer"


def _available(currency: str | None = None) -> dict[str, int]:
    """The platform's available balance per currency: the net of every available balance transaction."""
    totals: dict[str, int] = {}
    for key, txn in list(store.items()):
        if key.startswith("balance_transaction:") and txn.status == "available":
            totals[txn.currency] = totals.get(txn.currency, 0) + txn.net
    if currency is not None:
        totals.setdefault(currency, 0)
    return totals


def _received(account_id: str) -> dict[str, int]:
    """A connected account's balance: what was transferred to it, less what was reversed."""
    totals: dict[str, int] = {}
    for key, transfer in list(store.items()):
        if key.startswith("transfer:") and transfer.destination == account_id:
            totals[transfer.currency] = totals.get(transfer.currency, 0) + transfer.amount - transfer.amount_reversed
    return totals


def _balance_export(self: Balance, expand: Any = None) -> dict[str, Any]:
    acting = _acting_account.get()
    if acting and acting != _state["platform_id"]:
        account = store.get("account:" + acting)
        totals = _received(acting)
        default = account.default_currency if account is not None else "usd"
    else:
        totals = _available()
        default = _currency_of(PLATFORM_COUNTRY)
    totals = totals or {default: 0}
    currencies = sorted(totals)
    return {
        "object": "balance",
        "available": [{"amount": totals[c], "currency": c, "source_types": {"card": totals[c]}} for c in currencies],
        "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        "livemode": False,
        "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
    }


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    _PARAMS = frozenset({"amount", "currency", "destination", "transfer_group", "description", "metadata",
                        "source_transaction", "source_type"})

    def __init__(self, **data: Any) -> None:
        _unknown(data, set(self._PARAMS))
        if data.get("amount") in (None, ""):
            raise _missing("amount")
        amount = try_convert_to_int(data["amount"])
        if not isinstance(amount, int) or amount <= 0:
            raise StripeError(400, "Invalid positive integer", code="parameter_invalid_integer", param="amount")
        currency = (_string(data, "currency", required=True) or "").lower()
        if len(currency) != 3 or not currency.isalpha():
            raise _invalid("currency", f"Invalid currency: {currency}.")
        destination = _string(data, "destination", required=True) or ""
        transfer_group = _string(data, "transfer_group")
        description = _string(data, "description")
        metadata = _metadata(data.get("metadata"))
        source_type = _string(data, "source_type") or "card"
        if source_type not in ("card", "bank_account", "fpx"):
            raise _invalid("source_type", "Invalid source_type: must be one of bank_account, card, or fpx")
        source_transaction = _string(data, "source_transaction")

        account = store.get("account:" + destination)
        if account is None or account._platform:
            raise StripeError(400, f"No such destination: '{destination}'", code="resource_missing",
                              param="destination")
        # From here on the endpoint runs: an idempotency key keeps the outcome, errors included.
        if account.capabilities.get("transfers") != "active":
            raise StripeError(400, "Your destination account needs to have at least one of the following "
                                   "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                              code="insufficient_capabilities_for_transfer", param="destination", saved=True)
        if source_transaction is not None:
            self._check_source(source_transaction, amount, currency)
        elif _available(currency)[currency] < amount:
            raise StripeError(400, INSUFFICIENT_FUNDS, code="balance_insufficient", saved=True)

        # All exceptions must be raised before this point.
        super().__init__("tr_" + random_id(24))
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.description = description
        self.destination = destination
        self.destination_payment = "py_" + random_id(24)
        self.metadata = metadata
        self.reversals: dict[str, Any] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                          "url": f"/v1/transfers/{self.id}/reversals"}
        self.reversed = False
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group
        self.balance_transaction = TransferBalanceTransaction(self).id
        _send_event("transfer.created", self)

    @staticmethod
    def _check_source(charge_id: str, amount: int, currency: str) -> None:
        """A transfer tied to a charge may use that charge's funds before they are available, up to what is
        left of it (its amount, less refunds and the other transfers from it)."""
        charge = store.get("charge:" + charge_id)
        if charge is None:
            raise StripeError(400, f"No such charge: '{charge_id}'", code="resource_missing",
                              param="source_transaction")
        if charge.status != "succeeded" or charge.currency != currency:
            raise StripeError(400, "The currency of source_transaction's balance transaction "
                                   f"({charge.currency}) must be the same as the transfer currency ({currency})"
                              if charge.currency != currency else "The source transaction has not succeeded.",
                              param="source_transaction", saved=True)
        used = sum(t.amount for key, t in list(store.items())
                   if key.startswith("transfer:") and t.source_transaction == charge_id)
        left = charge.amount - charge.amount_refunded - used
        if amount > left:
            raise StripeError(400, f"The amount you are attempting to transfer ({amount}) is greater than the "
                                   f"remaining amount of the source transaction ({left}).",
                              param="amount", saved=True)

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Transfer:
        transfer = cls._api_retrieve(id)
        _unknown(data, {"description", "metadata"})
        before = transfer._export()
        if "description" in data:
            transfer.description = _string(data, "description")
        if "metadata" in data:
            transfer.metadata = _metadata(data["metadata"], transfer.metadata)
        after = transfer._export()
        previous = {key: value for key, value in before.items() if after.get(key) != value}
        if previous:
            _send_event("transfer.updated", transfer, previous=previous)
        return transfer

    @classmethod
    def _api_retrieve(cls, id: str) -> Transfer:
        transfer = store.get("transfer:" + id)
        if transfer is None:
            raise StripeError(404, f"No such transfer: '{id}'", code="resource_missing", param="id")
        return transfer

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, destination: Any = None,
                      transfer_group: Any = None, **kwargs: Any) -> List:
        _unknown(kwargs, set())
        li = List(url, limit=limit, starting_after=starting_after)
        li._list = _newest_first([
            value for key, value in store.items()
            if key.startswith("transfer:")
            and (destination is None or value.destination == destination)
            and (transfer_group is None or value.transfer_group == transfer_group)
        ])
        return li

    @classmethod
    def _api_list_reversals(cls, id: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> List:
        _unknown(kwargs, set())
        transfer = cls._api_retrieve(id)
        li = List(f"/v1/transfers/{id}/reversals", limit=limit, starting_after=starting_after)
        li._list = _newest_first([store["transfer_reversal:" + item["id"]] for item in transfer.reversals["data"]
                                  if "transfer_reversal:" + item["id"] in store])
        return li


# --- routes ---------------------------------------------------------------------------------------


def _base_url(request: Any) -> str:
    return f"{request.scheme}://{request.host}"


async def get_account(request: Any) -> Any:
    """`GET /v1/account`: the account the key (or the `Stripe-Account` header) acts for."""
    query = server.unflatten_data(request.query)
    expand = query.pop("expand", None)
    acting = request.headers.get("Stripe-Account")
    account = Account._api_retrieve(acting or _state["platform_id"])
    return server.json_response(account._export(expand=expand))


async def create_account_link(request: Any) -> Any:
    data = await server.get_post_data(request) or {}
    _unknown(data, {"account", "refresh_url", "return_url", "type", "collect", "collection_options", "expand"})
    account_id = _string(data, "account", required=True) or ""
    link_type = _string(data, "type", required=True)
    if link_type not in ("account_onboarding", "account_update"):
        raise _invalid("type", "Invalid type: must be one of account_onboarding or account_update")
    refresh_url = _string(data, "refresh_url", required=True) or ""
    return_url = _string(data, "return_url", required=True) or ""
    for name, url in (("refresh_url", refresh_url), ("return_url", return_url)):
        if not url.startswith(("http://", "https://")):
            raise _invalid(name, f"Not a valid URL: {name}")
    account = store.get("account:" + account_id)
    if account is None or account._platform:
        raise StripeError(400, f"No such account: '{account_id}'", code="resource_missing", param="account")
    if link_type == "account_update" and account.type != "custom":
        raise _invalid("type", f"You cannot create `account_update` type Account Links for {account.type} "
                               "accounts.")
    token = random_id(32)
    created = int(time.time())
    store["account_link:" + token] = {"account": account_id, "refresh_url": refresh_url,
                                      "return_url": return_url, "type": link_type,
                                      "expires_at": created + ACCOUNT_LINK_LIFETIME, "used": False}
    return server.json_response({
        "object": "account_link", "created": created, "expires_at": created + ACCOUNT_LINK_LIFETIME,
        "url": f"{_base_url(request)}/connect/onboarding/{token}",
    })


ONBOARDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stripe Connect onboarding (emulator)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1f36}}
button{{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem 0 0;cursor:pointer}}
.primary{{background:#635bff;color:#fff;border:0;border-radius:6px}} dt{{font-weight:600}}</style></head>
<body><h1>Set up payouts for {platform}</h1>
<p>This page stands in for Stripe's hosted onboarding in the local emulator.</p>
<dl><dt>Account</dt><dd id="account">{account}</dd><dt>Email</dt><dd>{email}</dd>
<dt>Country</dt><dd>{country}</dd></dl>
<form method="post" action="{action}">
<button class="primary" type="submit" name="action" value="complete">Complete onboarding</button>
<button type="submit" name="action" value="leave">Return to {platform} without finishing</button>
</form></body></html>
"""


def _onboarding_link(request: Any) -> tuple[dict[str, Any], Account | None]:
    link = store.get("account_link:" + request.match_info["token"])
    if link is None:
        raise StripeError(404, "This onboarding link does not exist.", code="resource_missing")
    return link, store.get("account:" + link["account"])


def _redirect(location: str) -> Any:
    return web.HTTPSeeOther(location)


async def onboarding_page(request: Any) -> Any:
    """Stripe's hosted onboarding: a used or expired link sends the person to `refresh_url`."""
    link, account = _onboarding_link(request)
    if link["used"] or link["expires_at"] < time.time() or account is None:
        raise _redirect(link["refresh_url"])
    page = ONBOARDING_PAGE.format(platform=html.escape(PLATFORM_NAME), account=html.escape(account.id),
                                  email=html.escape(account.email or "—"), country=html.escape(account.country),
                                  action=html.escape(request.path))
    return web.Response(text=page, content_type="text/html")


async def onboarding_submit(request: Any) -> Any:
    link, account = _onboarding_link(request)
    if link["used"] or link["expires_at"] < time.time() or account is None:
        raise _redirect(link["refresh_url"])
    form = await request.post()
    link = {**link, "used": True}  # an account link works once, as Stripe's
    store["account_link:" + request.match_info["token"]] = link
    if form.get("action", "complete") == "complete":
        account._complete_onboarding(ip=request.remote, user_agent=request.headers.get("User-Agent"))
    raise _redirect(link["return_url"])


async def config_complete_onboarding(request: Any) -> Any:
    account = store.get("account:" + request.match_info["id"])
    if account is None or account._platform:
        raise StripeError(404, f"No such account: '{request.match_info['id']}'", code="resource_missing")
    account._complete_onboarding(ip="127.0.0.1", user_agent="stripe-emulator-config")
    return server.json_response(account._export())


async def config_delete_webhook(request: Any) -> Any:
    _webhooks.pop(request.match_info["id"], None)
    return web.Response()


# --- middleware: pages without keys, the acting account, idempotency keys ------------------------


def _saved(error: UserError) -> bool:
    return getattr(error, "saved", False) or error.code == 402


def _install_middlewares(app: Any) -> None:
    @web.middleware
    async def auth(request: Any, handler: Any) -> Any:
        if request.path.startswith("/connect/"):  # the onboarding page is visited by a browser, not the API
            return await handler(request)
        return await server.auth_middleware(request, handler)

    @web.middleware
    async def connect_and_idempotency(request: Any, handler: Any) -> Any:
        if not request.path.startswith("/v1/"):
            return await handler(request)
        api_key = _api_key(request)
        _request_key.set(api_key)
        acting = request.headers.get("Stripe-Account")
        if acting and acting != _state["platform_id"] and store.get("account:" + acting) is None:
            raise _no_access(acting, api_key)
        _acting_account.set(acting)

        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        if len(key) > 255:
            raise StripeError(400, "Idempotency keys can be at most 255 characters long.",
                              error_type="idempotency_error")
        scope = hashlib.sha256(f"{api_key}|{acting or ''}".encode()).hexdigest()[:16]
        record_key = f"idempotency:{scope}:{key}"
        params = await server.get_post_data(request, remove_auth=False) or {}
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
        endpoint = f"{request.method} {request.path}"
        record = store.get(record_key)
        if record is not None and record["created"] > time.time() - IDEMPOTENCY_LIFETIME:
            if record["endpoint"] != endpoint:
                raise StripeError(400, "Keys for idempotent requests can only be used for the same endpoint they "
                                       f"were first used for ('{record['endpoint']}' vs '{endpoint}'). Try using "
                                       f"a key other than '{key}' if you meant to execute a different request.",
                                  error_type="idempotency_error")
            if record["fingerprint"] != fingerprint:
                raise StripeError(400, "Keys for idempotent requests can only be used with the same parameters "
                                       f"they were first used with. Try using a key other than '{key}' if you "
                                       "meant to execute a different request.", error_type="idempotency_error")
            return web.Response(body=record["body"], status=record["status"], content_type="application/json",
                                headers={"Idempotency-Key": key, "Idempotent-Replayed": "true"})
        try:
            response = await handler(request)
            keep = 200 <= response.status < 300
        except UserError as error:
            if not _saved(error):
                raise  # refused while checking parameters: not kept, the request may be retried
            response, keep = error.to_response(), True
        if keep:
            store[record_key] = {"endpoint": endpoint, "fingerprint": fingerprint, "status": response.status,
                                 "body": response.body, "created": int(time.time())}
        response.headers["Idempotency-Key"] = key
        return response

    middlewares = app.middlewares
    middlewares[list(middlewares).index(server.auth_middleware)] = auth
    middlewares.append(connect_and_idempotency)


# --- search by query (Stripe's Search API: `GET /v1/<objects>/search?query=...`) ---------------------
#
# Stripe's query language, for what MegiLance asks: clauses `field:'value'` (exact match), `metadata['key']:'value'`,
# `-field:'value'` (negation), joined by `AND` (or all by `OR`). Results newest first, in Stripe's
# `search_result` shape; `limit` (1-100) and `page` (the `next_page` token of the previous answer).

_SEARCHABLE = {"/v1/payment_intents/search": "payment_intent", "/v1/charges/search": "charge",
               "/v1/customers/search": "customer"}
_CLAUSE = re.compile(r"""^(-?)(metadata\[['"]([^'"]+)['"]\]|[a-z_]+)\s*:\s*(['"])(.*)\4$""")


def _search_clauses(query: str) -> tuple[str, list[tuple[bool, str | None, str, str]]]:
    text = query.strip()
    joiner = "OR" if re.search(r"\sOR\s", text) else "AND"
    if joiner == "OR" and re.search(r"\sAND\s", text):
        raise StripeError(400, "Search queries cannot mix AND and OR.", param="query")
    clauses = []
    for part in re.split(rf"\s+{joiner}\s+", text):
        match = _CLAUSE.match(part.strip())
        if match is None:
            raise StripeError(400, f"Invalid search query: could not parse `{part.strip()}`.", param="query")
        negated, field, key, _, value = match.groups()
        clauses.append((bool(negated), key, "metadata" if key else field, value))
    return joiner, clauses


def _search_matches(obj: Any, joiner: str, clauses: list[tuple[bool, str | None, str, str]]) -> bool:
    results = []
    for negated, key, field, value in clauses:
        if field == "metadata":
            found = (getattr(obj, "metadata", None) or {}).get(key)
            hit = found is not None and str(found) == value
        else:
            found = getattr(obj, field, None)
            found = getattr(found, "id", found)
            hit = found is not None and str(found).lower() == value.lower()
        results.append(hit != negated)
    return all(results) if joiner == "AND" else any(results)


def _search(request: Any, prefix: str) -> Any:
    query = request.query.get("query")
    if not query:
        raise _missing("query")
    limit = try_convert_to_int(request.query.get("limit", 10))
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise _invalid("limit", "This value must be between 1 and 100.")
    offset = try_convert_to_int(request.query.get("page") or 0)
    joiner, clauses = _search_clauses(query)
    found = [value for key, value in store.items() if key.startswith(prefix + ":")
             and _search_matches(value, joiner, clauses)]
    found = _newest_first(found)
    page = found[offset:offset + limit]
    more = len(found) > offset + limit
    return server.json_response({
        "object": "search_result", "url": request.path, "has_more": more,
        "next_page": str(offset + limit) if more else None, "data": [item._export() for item in page],
    })


def _install_search(app: Any) -> None:
    """Answers the search routes before localstripe's `/v1/<objects>/{id}` takes `search` for an id."""

    @web.middleware
    async def search(request: Any, handler: Any) -> Any:
        prefix = _SEARCHABLE.get(request.path)
        if request.method == "GET" and prefix is not None:
            return _search(request, prefix)
        return await handler(request)

    app.middlewares.append(search)

# --- end of search by query ---------------------------------------------------------------------------


def _install(app: Any) -> None:
    if _state["installed"]:
        return
    _state["installed"] = True
    Balance._export = _balance_export

    router = app.router
    router.add_get("/v1/account", get_account)
    router.add_post("/v1/account_links", create_account_link)
    router.add_get("/connect/onboarding/{token}", onboarding_page)
    router.add_post("/connect/onboarding/{token}", onboarding_submit)
    router.add_post("/_config/accounts/{id}/complete", config_complete_onboarding)
    router.add_delete("/_config/webhooks/{id}", config_delete_webhook)
    router.add_get("/v1/transfers/{id}/reversals", server.api_extra(Transfer._api_list_reversals, None))
    for cls in (Account, Transfer):
        base = f"/v1/{cls.object}s"
        router.add_post(base, server.api_create(cls, base))
        router.add_get(base, server.api_list_all(cls, base))
        router.add_get(base + "/{id}", server.api_retrieve(cls, base))
        router.add_post(base + "/{id}", server.api_update(cls, base))
        router.add_delete(base + "/{id}", server.api_delete(cls, base))
    _install_money_events(router)
    _install_saved_cards(router)
    _install_middlewares(app)
    _install_search(app)


def _platform_id() -> str:
    for key, value in store.items():
        if key.startswith("account:") and getattr(value, "_platform", False):
            return value.id
    return "acct_platform" + random_id(11)


def build_app(state_file: Path | None):
    def load() -> None:
        if state_file and state_file.exists():
            with state_file.open("rb") as handle:
                store.clear()
                dict.update(store, pickle.load(handle))  # noqa: S301 - our own file, written below

    def dump() -> None:
        if state_file:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                pickle.dump(dict(store), handle, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(state_file)

    store.try_load_from_disk = load
    store.dump_to_disk = dump
    load()
    _state["platform_id"] = _platform_id()
    _install(server.app)
    return server.app


def serve(*, host: str = "127.0.0.1", port: int = 8420, state_file: Path | None = None) -> None:
    app = build_app(state_file)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    web.run_app(app, sock=sock, print=None, access_log=None)

# === Fees, disputes, refunds made in the dashboard, transfer reversals ===============================
#
# - Stripe's processing fee on a card charge, on the charge's balance transaction (`fee`, `fee_details`),
#   once pricing is set with `POST /_config/pricing` (`card_percent` in hundredths of a percent,
#   `card_fixed` and `dispute_fee` in minor units; Stripe's US card pricing is 290, 30 and 1500). Without
#   it nothing is charged, as before. The pricing is part of the data: `DELETE /_config/data` forgets it.
# - Every refund sends `charge.refunded` (the charge, with its refunds), as Stripe does for refunds made
#   through the API and in the dashboard; `POST /_config/charges/<id>/refund` (optional `amount`) is a refund
#   made in the dashboard: no metadata, no idempotency key.
# - Chargebacks: `POST /_config/charges/<id>/dispute` (optional `amount`, `reason`) opens a dispute as the
#   card network does: the disputed amount and the dispute fee are withdrawn (a balance transaction of type
#   `adjustment`, reporting category `dispute`), `charge.dispute.created` and `charge.dispute.funds_withdrawn`
#   are sent. `POST /_config/disputes/<id>/close` with `outcome=won|lost` decides it: won returns the amount
#   and the fee (`dispute_reversal`) and sends `charge.dispute.funds_reinstated`; both send
#   `charge.dispute.closed`. `GET /v1/disputes`, `GET /v1/disputes/<id>`.
# - `POST /v1/transfers/<id>/reversals` (optional `amount`, `metadata`, `description`): the money comes
#   back from the connected account (a `transfer_refund` balance transaction) and `transfer.reversed` is sent.

PRICING_KEY = "emulator_config:pricing"


def _pricing() -> dict[str, int]:
    return dict(store.get(PRICING_KEY) or {"card_percent": 0, "card_fixed": 0, "dispute_fee": 0})


def _card_fee(amount: int) -> int:
    """Stripe's fee on a card charge: a percentage rounded to the nearest minor unit (halves up), plus a fixed part."""
    pricing = _pricing()
    if not pricing["card_percent"] and not pricing["card_fixed"]:
        return 0
    return (amount * pricing["card_percent"] + 5_000) // 10_000 + pricing["card_fixed"]


def _fee_details(amount: int, currency: str, description: str) -> list[dict[str, Any]]:
    return [{"amount": amount, "application": None, "currency": currency, "description": description,
             "type": "stripe_fee"}] if amount else []


def _charge_the_fee(charge: Any) -> None:
    txn = store.get("balance_transaction:" + (charge.balance_transaction or ""))
    if txn is None or getattr(txn, "_fee_charged", False):
        return
    fee = _card_fee(txn.amount)
    txn._fee_charged = True
    txn.fee = fee
    txn.fee_details = _fee_details(fee, txn.currency, "Stripe processing fees")
    store["balance_transaction:" + txn.id] = txn


_localstripe_trigger_payment = Charge._trigger_payment


def _trigger_payment_with_fee(self: Any, on_success: Any = None) -> None:
    def charged() -> None:
        _charge_the_fee(self)
        if on_success:
            on_success()

    _localstripe_trigger_payment(self, on_success=charged)
    _charge_the_fee(self)


_localstripe_refund_init = Refund.__init__


def _refund_init_announced(self: Any, *args: Any, **kwargs: Any) -> None:
    _localstripe_refund_init(self, *args, **kwargs)
    _send_event("charge.refunded", Charge._api_retrieve(self.charge))


class AdjustmentBalanceTransaction(BalanceTransaction):
    """A balance transaction localstripe's own does not make (disputes, transfer reversals)."""

    def __init__(self, *, amount: int, currency: str, fee: int, fee_description: str, source: str,
                 txn_type: str, reporting_category: str, description: str) -> None:
        StripeObject.__init__(self)
        self.amount = amount
        self.available_on = self.created
        self.currency = currency
        self.description = description
        self.exchange_rate = None
        self.fee = fee
        self.fee_details = _fee_details(fee, currency, fee_description)
        self.reporting_category = reporting_category
        self.source = source
        self.status = "available"
        self.type = txn_type


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, *, charge: Any, amount: int, reason: str) -> None:
        super().__init__("dp_" + random_id(24))
        fee = _pricing()["dispute_fee"]
        withdrawal = AdjustmentBalanceTransaction(
            amount=-amount, currency=charge.currency, fee=fee, fee_description="Dispute fee", source=self.id,
            txn_type="adjustment", reporting_category="dispute", description=f"Chargeback withdrawal for {charge.id}")
        self.amount = amount
        self.balance_transactions = [withdrawal]
        self.charge = charge.id
        self.currency = charge.currency
        self.evidence: dict[str, Any] = {}
        self.is_charge_refundable = False
        self.metadata: dict[str, str] = {}
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = "needs_response"

    def _close(self, outcome: str) -> None:
        if self.status in ("won", "lost"):
            raise StripeError(400, f"This dispute is already closed ({self.status}).", code="dispute_already_closed")
        if outcome == "won":
            withdrawal = self.balance_transactions[0]
            self.balance_transactions = [*self.balance_transactions, AdjustmentBalanceTransaction(
                amount=self.amount, currency=self.currency, fee=-withdrawal.fee, fee_description="Dispute fee returned",
                source=self.id, txn_type="adjustment", reporting_category="dispute_reversal",
                description=f"Chargeback reversal for {self.charge}")]
        self.status = outcome
        store["dispute:" + self.id] = self
        if outcome == "won":
            _send_event("charge.dispute.funds_reinstated", self)
        _send_event("charge.dispute.closed", self)

    @classmethod
    def _api_create(cls, **data: Any) -> Any:
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        dispute = cls._api_retrieve(id)
        _unknown(data, {"metadata", "evidence", "submit"})
        dispute.metadata = _metadata(data.get("metadata"), dispute.metadata)
        return dispute

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        dispute = store.get("dispute:" + id)
        if dispute is None:
            raise StripeError(404, f"No such dispute: '{id}'", code="resource_missing", param="id")
        return dispute

    @classmethod
    def _api_list_all(cls, url: str, limit: Any = None, starting_after: Any = None, charge: Any = None,
                      payment_intent: Any = None, **kwargs: Any) -> List:
        _unknown(kwargs, set())
        li = List(url, limit=limit, starting_after=starting_after)
        li._list = _newest_first([value for key, value in store.items() if key.startswith("dispute:")
                                  and (charge is None or value.charge == charge)
                                  and (payment_intent is None or value.payment_intent == payment_intent)])
        return li


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, *, transfer: Any, amount: int, metadata: dict[str, str], description: str | None) -> None:
        super().__init__("trr_" + random_id(24))
        txn = AdjustmentBalanceTransaction(
            amount=amount, currency=transfer.currency, fee=0, fee_description="", source=self.id,
            txn_type="transfer_refund", reporting_category="transfer_reversal",
            description=description or f"Reversal of {transfer.id}")
        self.amount = amount
        self.balance_transaction = txn.id
        self.currency = transfer.currency
        self.destination_payment_refund = "pyr_" + random_id(24)
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer.id


def _config_pricing(data: dict[str, Any]) -> dict[str, int]:
    pricing = _pricing()
    for name in ("card_percent", "card_fixed", "dispute_fee"):
        if name in data:
            value = try_convert_to_int(data[name])
            if not isinstance(value, int) or value < 0:
                raise _invalid(name, f"Invalid non-negative integer: {name}")
            pricing[name] = value
    store[PRICING_KEY] = pricing
    return pricing


async def config_pricing(request: Any) -> Any:
    return server.json_response(_config_pricing(await server.get_post_data(request) or {}))


def _succeeded_charge(charge_id: str) -> Any:
    charge = store.get("charge:" + charge_id)
    if charge is None:
        raise StripeError(404, f"No such charge: '{charge_id}'", code="resource_missing", param="charge")
    if charge.status != "succeeded" or not charge.balance_transaction:
        raise StripeError(400, "Only a captured, succeeded charge can be refunded or disputed.", param="charge")
    if charge.amount_refunded >= charge.amount:
        raise StripeError(400, f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
    return charge


def _amount(data: dict[str, Any], default: int) -> int:
    if data.get("amount") in (None, ""):
        return default
    amount = try_convert_to_int(data["amount"])
    if not isinstance(amount, int) or amount <= 0:
        raise StripeError(400, "Invalid positive integer", code="parameter_invalid_integer", param="amount")
    return amount


async def config_dashboard_refund(request: Any) -> Any:
    """A refund made by hand in Stripe's dashboard."""
    charge = _succeeded_charge(request.match_info["id"])
    data = await server.get_post_data(request) or {}
    left = charge.amount - charge.amount_refunded
    amount = _amount(data, left)
    if amount > left:
        raise StripeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                          code="amount_too_large", param="amount")
    refund = Refund(charge=charge.id, amount=amount)
    return server.json_response(refund._export())


async def config_open_dispute(request: Any) -> Any:
    """The card holder disputes a charge with their bank (a chargeback)."""
    charge = _succeeded_charge(request.match_info["id"])
    if any(key.startswith("dispute:") and value.charge == charge.id for key, value in list(store.items())):
        raise StripeError(400, f"Charge {charge.id} is already disputed.", code="charge_disputed")
    data = await server.get_post_data(request) or {}
    amount = _amount(data, charge.amount - charge.amount_refunded)
    if amount > charge.amount - charge.amount_refunded:
        raise StripeError(400, "A charge can be disputed for at most what was not refunded.", param="amount")
    dispute = Dispute(charge=charge, amount=amount, reason=_string(data, "reason") or "fraudulent")
    charge.disputed = True
    store["charge:" + charge.id] = charge
    _send_event("charge.dispute.created", dispute)
    _send_event("charge.dispute.funds_withdrawn", dispute)
    return server.json_response(dispute._export())


async def config_close_dispute(request: Any) -> Any:
    dispute = Dispute._api_retrieve(request.match_info["id"])
    data = await server.get_post_data(request) or {}
    outcome = _string(data, "outcome", required=True)
    if outcome not in ("won", "lost"):
        raise _invalid("outcome", "Invalid outcome: must be one of won or lost")
    dispute._close(outcome)
    return server.json_response(dispute._export())


async def create_transfer_reversal(request: Any) -> Any:
    transfer = Transfer._api_retrieve(request.match_info["id"])
    data = await server.get_post_data(request) or {}
    _unknown(data, {"amount", "metadata", "description", "refund_application_fee", "expand"})
    left = transfer.amount - transfer.amount_reversed
    amount = _amount(data, left)
    if amount > left:
        raise StripeError(400, f"You cannot reverse more than the remaining amount of the transfer ({left}).",
                          param="amount")
    reversal = TransferReversal(transfer=transfer, amount=amount, metadata=_metadata(data.get("metadata")),
                                description=_string(data, "description"))
    transfer.amount_reversed += amount
    transfer.reversed = transfer.amount_reversed >= transfer.amount
    items = [reversal._export(), *transfer.reversals["data"]]
    transfer.reversals = {**transfer.reversals, "data": items, "total_count": len(items)}
    store["transfer:" + transfer.id] = transfer
    _send_event("transfer.reversed", transfer)
    return server.json_response(reversal._export())


def _install_money_events(router: Any) -> None:
    Charge._trigger_payment = _trigger_payment_with_fee
    Refund.__init__ = _refund_init_announced
    router.add_post("/_config/pricing", config_pricing)
    router.add_post("/_config/charges/{id}/refund", config_dashboard_refund)
    router.add_post("/_config/charges/{id}/dispute", config_open_dispute)
    router.add_post("/_config/disputes/{id}/close", config_close_dispute)
    router.add_post("/v1/transfers/{id}/reversals", create_transfer_reversal)
    router.add_get("/v1/disputes", server.api_list_all(Dispute, "/v1/disputes"))
    router.add_get("/v1/disputes/{id}", server.api_retrieve(Dispute, "/v1/disputes"))
    router.add_post("/v1/disputes/{id}", server.api_update(Dispute, "/v1/disputes"))

# === end of fees, disputes, refunds made in the dashboard, transfer reversals ========================


# === Saved cards: SetupIntents and off-session PaymentIntents =========================================
#
# - A SetupIntent that succeeds attaches its PaymentMethod to the SetupIntent's customer, as Stripe does; one
#   for a card whose bank asks for 3-D Secure stays `requires_action` until
#   `POST /v1/setup_intents/<id>/_authenticate` (`client_secret`, `success`), the stand-in of the bank's page
#   (like localstripe's own for PaymentIntents). Refused: `requires_payment_method` with `last_setup_error`.
# - `off_session=true` PaymentIntents: a card whose bank wants the card holder cannot be charged without them.
#   Stripe refuses with a card error `authentication_required` (402) and leaves the PaymentIntent
#   `requires_payment_method` with `last_payment_error`; 4000 0025 0000 3155 is the exception once it was set
#   up for off-session use (3-D Secure done when it was saved), as Stripe's test card documents.
# - Stripe's test PaymentMethod ids `pm_card_authenticationRequired` (4000 0027 6000 3184),
#   `pm_card_authenticationRequiredSetupForOffSession` (4000 0025 0000 3155) and `pm_card_chargeDeclined`
#   (4000 0000 0000 0002), beside localstripe's `pm_card_visa` and `pm_card_chargeCustomerFail`.

_SETUP_OFF_SESSION_EXEMPT = {"4000002500003155"}
_TEST_CARDS = {"pm_card_authenticationRequired": "4000002760003184",
               "pm_card_authenticationRequiredSetupForOffSession": "4000002500003155",
               "pm_card_chargeDeclined": "4000000000000002"}
_localstripe_attach_pm = SetupIntent._attach_pm
_localstripe_test_article = PaymentMethod._try_get_canonical_test_article.__func__
_localstripe_pi_create = PaymentIntent._api_create.__func__
_localstripe_last_payment_error = PaymentIntent.last_payment_error


def _setup_succeeded(intent: Any) -> None:
    method = PaymentMethod._api_retrieve(intent.payment_method)
    if intent.customer:
        method.customer = intent.customer
    if intent.usage == "off_session":
        method._set_up_off_session = True


def _attach_pm_for_customer(self: Any, pm: Any) -> None:
    _localstripe_attach_pm(self, pm)
    if self.status == "succeeded":
        _setup_succeeded(self)


def _test_article(cls: Any, id: str) -> Any:
    number = _TEST_CARDS.get(id)
    if number is not None:
        return PaymentMethod(type="card", card={"number": number, "exp_month": "12", "exp_year": "2034",
                                                "cvc": "123"})
    return _localstripe_test_article(cls, id)


def _setup_intent_authenticate(id: str, client_secret: Any = None, success: Any = False, **kwargs: Any) -> Any:
    _unknown(kwargs, set())
    intent = SetupIntent._api_retrieve(id)
    if client_secret != intent.client_secret:
        raise UserError(401, "Unauthorized")
    if intent.status != "requires_action":
        raise StripeError(400, f"This SetupIntent is {intent.status}: it does not await authentication.",
                          code="setup_intent_unexpected_state")
    intent.next_action = None
    if try_convert_to_bool(success):
        intent.status = "succeeded"
        _setup_succeeded(intent)
    else:
        intent.status = "requires_payment_method"
        intent.last_setup_error = {"code": "setup_intent_authentication_failure",
                                   "message": "The latest attempt to set up the payment method has failed "
                                              "because authentication failed."}
        intent.payment_method = None
    return intent


def _needs_the_card_holder(method: Any) -> bool:
    if not method._requires_authentication():
        return False
    return not (getattr(method, "_card_number", "") in _SETUP_OFF_SESSION_EXEMPT
                and getattr(method, "_set_up_off_session", False))


def _payment_intent_create(cls: Any, confirm: Any = None, off_session: Any = None, **data: Any) -> Any:
    if not (try_convert_to_bool(off_session) and try_convert_to_bool(confirm) and data.get("payment_method")):
        return _localstripe_pi_create(cls, confirm=confirm, off_session=off_session, **data)
    method = PaymentMethod._api_retrieve(data["payment_method"])
    if not method._requires_authentication():
        return _localstripe_pi_create(cls, confirm=confirm, off_session=off_session, **data)
    if not _needs_the_card_holder(method):  # checked when it was set up: charged without asking again
        intent = _localstripe_pi_create(cls, **data)
        intent._create_charge(on_failure_now=intent._report_failure)
        return intent
    intent = _localstripe_pi_create(cls, **data)  # made, then refused without the card holder
    intent._off_session_error = {
        "code": "authentication_required", "decline_code": "authentication_required", "type": "card_error",
        "message": "Your card was declined. This transaction requires authentication.",
        "payment_method": method._export(),
    }
    intent.payment_method = None
    schedule_webhook(Event("payment_intent.payment_failed", intent))
    error = UserError(402, intent._off_session_error["message"],
                      {"code": "authentication_required", "decline_code": "authentication_required",
                       "payment_intent": intent._export()})
    error.body["error"]["type"] = "card_error"
    raise error


def _last_payment_error(self: Any) -> Any:
    return getattr(self, "_off_session_error", None) or _localstripe_last_payment_error.fget(self)


def _install_saved_cards(router: Any) -> None:
    SetupIntent._attach_pm = _attach_pm_for_customer
    PaymentMethod._try_get_canonical_test_article = classmethod(_test_article)
    PaymentIntent._api_create = classmethod(_payment_intent_create)
    PaymentIntent.last_payment_error = property(_last_payment_error)
    router.add_post("/v1/setup_intents/{id}/_authenticate", server.api_extra(_setup_intent_authenticate, None))

# === end of saved cards ================================================================================


__all__ = ["Account", "Dispute", "Transfer", "TransferReversal", "build_app", "serve"]
