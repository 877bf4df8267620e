"""Service pages: browse and search (`/services/`), the seller's own list (`/services/?seller=me`), a service's page,
and the seller's forms to create, edit, pause, activate and delete. (Ordering a package is the orders' page.)

Each view reads through `selectors`, changes through one service, and shows the answer; a service's
`ApplicationError` is shown next to the field it names (or at the top of the form) with its 4xx status.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from . import selectors, services
from .forms import ServiceForm, ServiceSearchForm, delivery_label
from .models import Service, ServiceImage, ServiceStatus

PER_PAGE = 24


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def _forbidden(request: HttpRequest, title: str, message: str, link: tuple[str, str]) -> HttpResponse:
    return render(request, "marketplace/forbidden.html", {"title": title, "message": message, "link": link},
                  status=403)


def _own_service_or_404(request: HttpRequest, pk: int) -> Service:
    return get_object_or_404(
        Service.objects.select_related("category").prefetch_related("skills", "packages", "extras", "images"),
        pk=pk, seller=request.user)


# --- browse and search --------------------------------------------------------------------------


def _facet_links(facets: dict[str, list[dict[str, Any]]], params: dict[str, Any]) -> dict[str, list[dict]]:
    """The facets as the page shows them: a label, the filter values a link sets, whether it is chosen."""
    chosen_price = (params.get("min_price"), params.get("max_price"))
    prices = []
    for entry in facets["price"]:
        low, high = entry["min_price"], entry["max_price"]
        if low is None:
            label = _("Under %(high)s") % {"high": f"{float(high) + 0.01:.0f}"}
        elif high is None:
            label = _("%(low)s and up") % {"low": f"{float(low):.0f}"}
        else:
            label = _("%(low)s to %(high)s") % {"low": f"{float(low):.0f}", "high": f"{float(high) + 0.01:.0f}"}
        prices.append({"label": label, "count": entry["count"], "min_price": low or "", "max_price": high or "",
                       "chosen": chosen_price == (low, high) or (low is None and chosen_price == (None, high))})
    return {
        "categories": [{**entry, "chosen": params.get("category") == entry["slug"]}
                       for entry in facets["categories"] if entry["count"] or params.get("category") == entry["slug"]],
        "delivery": [{"label": delivery_label(entry["delivery_days"]), "value": str(entry["delivery_days"]),
                      "count": entry["count"], "chosen": params.get("delivery_days") == str(entry["delivery_days"])}
                     for entry in facets["delivery_days"]],
        "price": prices,
    }


@require_http_methods(["GET", "HEAD"])
def service_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("seller") == "me"
    if mine and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ServiceSearchForm(request.GET)
    params = form.params()
    if mine:
        params["seller"] = "me"
    page = Paginator(selectors.with_list_data(selectors.service_filtered(user=request.user, params=params)),
                     PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form, "page": page, "services": page.object_list, "mine": mine,
        "searching": bool(params.get("search")),
        "facets": None if mine else _facet_links(selectors.service_facets(user=request.user, params=params), params),
        "filtered": any(params.get(name) for name in selectors.FILTERS if name != "seller"),
        "filters_open": any(params.get(name) for name in (*selectors.FILTERS, "ordering")
                            if name not in ("seller", "search")),
    }
    return render(request, "gigs/service_list.html", context, status=400 if form.errors else 200)


# --- one service --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = selectors.service_get(user=request.user, pk=pk)
    if service is None:
        raise Http404
    is_seller = request.user.is_authenticated and service.seller_id == request.user.pk
    packages = list(service.packages.all())
    context = {
        "service": service,
        "is_seller": is_seller,
        "tiers": selectors.packages_by_tier(service),
        "packages": packages,
        "level": selectors.seller_level(getattr(service, "seller_orders", 0), service.rating_avg),
        "requirements": [line for line in service.requirements.splitlines() if line.strip()],
        "more_services": selectors.seller_services(seller=service.seller, exclude=service.pk),
        "can_order": service.status == ServiceStatus.ACTIVE and not is_seller,
    }
    return render(request, "gigs/service_detail.html", context)


# --- the seller's forms -------------------------------------------------------------------------


def _not_a_seller(request: HttpRequest) -> HttpResponse:
    message = (_("Your account is a client account: you order services instead of selling them.")
               if signed_in_user(request).is_client else _("Services are sold from freelancer accounts."))
    return _forbidden(request, _("Only freelancers sell services"), message, ("/services/", _("Browse services")))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    if not signed_in_user(request).is_freelancer:
        return _not_a_seller(request)
    posted = request.method == "POST"
    form = ServiceForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            publish = request.POST.get("action") == "publish"
            data["status"] = ServiceStatus.ACTIVE if publish else ServiceStatus.DRAFT
            try:
                with transaction.atomic():
                    service = services.service_create(seller=signed_in_user(request), data=data)
                    if form.cleaned_data["images"]:
                        services.service_images_add(service=service, by=signed_in_user(request),
                                                    uploads=form.cleaned_data["images"])
            except ApplicationError as exc:
                form_add_service_error(form, exc, {"packages": "basic_title"})
                status = _error_status(exc)
            else:
                messages.success(request, _("Your service is live: buyers can find and order it.") if publish
                                 else _("Your service is saved as a draft: only you see it until you publish it."))
                return redirect("service_detail", pk=service.pk)
    return render(request, "gigs/service_form.html", {"form": form, "service": None}, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = _own_service_or_404(request, pk)
    if request.method == "POST":
        form = ServiceForm(request.POST, request.FILES, service=service)
    else:
        form = ServiceForm(initial=ServiceForm.initial_for(service), service=service)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            publish = request.POST.get("action") == "publish"
            if publish:
                data["status"] = ServiceStatus.ACTIVE
            try:
                with transaction.atomic():
                    services.service_update(service=service, by=signed_in_user(request), data=data)
                    if form.cleaned_data["images"]:
                        services.service_images_add(service=service, by=signed_in_user(request),
                                                    uploads=form.cleaned_data["images"])
            except ApplicationError as exc:
                form_add_service_error(form, exc, {"packages": "basic_title"})
                status = _error_status(exc)
            else:
                messages.success(request, _("Your service is live: buyers can find and order it.") if publish
                                 else _("Your changes are saved."))
                return redirect("service_detail", pk=service.pk)
    return render(request, "gigs/service_form.html", {"form": form, "service": service}, status=status)


def _back(request: HttpRequest, service: Service) -> str:
    return reverse("service_list") + "?seller=me" if request.POST.get("next") == "mine" else reverse(
        "service_detail", args=[service.pk])


@login_required
@require_POST
def service_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Pause or activate (`action`), from the service's page or the seller's list."""
    service = _own_service_or_404(request, pk)
    action = request.POST.get("action")
    change = {"activate": services.service_activate, "pause": services.service_pause}.get(action or "")
    if change is None:
        messages.error(request, _("Choose to pause or to activate the service."))
        return redirect(_back(request, service))
    try:
        change(service=service, by=signed_in_user(request))
    except ApplicationError as exc:
        reasons = [str(reason) for field in (exc.errors or {}).values() for reason in field]
        messages.error(request, " ".join(reasons) or str(exc.detail))
    else:
        messages.success(request, _("“%(title)s” is active again: buyers can order it.") % {"title": service.title}
                         if action == "activate" else
                         _("“%(title)s” is paused: buyers no longer find it.") % {"title": service.title})
    return redirect(_back(request, service))


@login_required
@require_POST
def service_delete(request: HttpRequest, pk: int) -> HttpResponse:
    service = _own_service_or_404(request, pk)
    try:
        services.service_delete(service=service, by=signed_in_user(request))
    except ApplicationError as exc:
        messages.error(request, str(exc.detail))
        return redirect("service_detail", pk=pk)
    messages.success(request, _("“%(title)s” is deleted.") % {"title": service.title})
    return redirect(reverse("service_list") + "?seller=me")


@login_required
@require_POST
def service_image_delete(request: HttpRequest, pk: int, image_pk: int) -> HttpResponse:
    image = get_object_or_404(ServiceImage.objects.select_related("service"), pk=image_pk, service_id=pk,
                              service__seller=signed_in_user(request))
    services.service_image_delete(image=image, by=signed_in_user(request))
    messages.success(request, _("The image is removed from the gallery."))
    return redirect("service_edit", pk=pk)
