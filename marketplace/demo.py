"""Demo marketplace: projects in every status, proposals, an invite and portfolios.

Built on the demo accounts of accounts/demo.py, through the same services the API uses, so the data is
what real use would leave behind. It runs once: when the marker project exists, nothing is touched.
The projects whose `outcome` is in progress or completed are left open here with their proposals;
contracts/demo.py then hires (the spec's `hire`), completes and reviews them.
"""

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils import timezone
from PIL import Image, ImageChops, ImageDraw, ImageFont

from accounts.demo import CLIENTS, FREELANCERS
from accounts.models import User

from . import services
from .models import Project, Proposal

# The first project seeded; when it is there, the demo marketplace is too.
MARKER_TITLE = "Fleet dashboard for our warehouse robots"

LETTERS = {
    "fatima": "I have built three marketplaces and two logistics dashboards in Django with PostgreSQL. I would "
              "start with a short call on your data model, then ship a first working screen within a week.",
    "diego": "I ship React Native apps that work offline and pass store review the first time. Here is how I "
             "would structure your app, and what I would need from your team in week one.",
    "mei": "I start every design job by talking to five real users. From that I sketch flows, test them, and "
           "hand over a tidy Figma file with components your developers can use straight away.",
    "liam": "I build data pipelines that run unattended: tested dbt models, alerting when numbers drift, and "
            "dashboards people actually open. I can share two similar projects on a call.",
}

# (key, client, project fields, what happens to it)
PROJECTS: list[dict[str, Any]] = [
    {"key": "dashboard", "client": "alice", "outcome": "completed", "hire": "fatima",
     "title": MARKER_TITLE, "category": "web-development", "skills": ["Django", "PostgreSQL", "React"],
     "budget_type": "fixed", "budget_min": "6000.00", "budget_max": "9000.00", "days": 70,
     "description": "Our operators need one screen showing every robot: battery, current task, faults and "
                    "throughput per hour. The data is already in PostgreSQL; we need a Django back end and a "
                    "fast, accessible web front end.",
     "proposals": {"fatima": "7800.00", "liam": "8500.00"},
     "reviews": ((5, "Fatima delivered ahead of schedule and her tests caught two bugs in our own firmware "
                     "logs. We will hire her again."),
                 (5, "Clear requirements, quick answers and fair feedback. A pleasure to work with Acme."))},
    {"key": "design_system", "client": "alice", "outcome": "completed", "hire": "mei",
     "title": "Design system for the robot operator app", "category": "design-creative",
     "skills": ["Figma", "Design systems"], "budget_type": "hourly", "budget_min": "55.00",
     "budget_max": "80.00", "days": 45,
     "description": "Our operator app grew screen by screen. We want a small design system in Figma: colours, "
                    "type, buttons, forms, tables and alerts, documented so developers can use it.",
     "proposals": {"mei": "4200.00", "diego": "3900.00"},
     "reviews": ((4, "Thoughtful work and great research. A few components took an extra round, but the "
                     "result is used every day."),
                 (5, "Acme's team joined every research session; that made the system much better."))},
    {"key": "payouts", "client": "bob", "outcome": "completed", "hire": "liam",
     "title": "Weekly driver payout reports", "category": "data-analytics",
     "skills": ["Python", "PostgreSQL", "dbt"], "budget_type": "fixed", "budget_min": "1500.00",
     "budget_max": "2500.00", "days": 30,
     "description": "Each Monday our finance team rebuilds driver payouts in spreadsheets. We want a tested "
                    "pipeline that produces the report automatically and flags anything unusual.",
     "proposals": {"liam": "2200.00"},
     "reviews": ((5, "The report now arrives every Monday at 7:00 and finance trusts it. Excellent."),
                 (4, "Good brief and quick access to the data. Payment was prompt."))},
    {"key": "telemetry", "client": "alice", "outcome": "in_progress", "hire": "liam",
     "title": "Telemetry pipeline for robot sensor data", "category": "data-analytics",
     "skills": ["Python", "Airflow", "PostgreSQL"], "budget_type": "fixed", "budget_min": "5000.00",
     "budget_max": "8000.00", "days": 60,
     "description": "Sensors on 300 robots send readings every second. We need an Airflow pipeline that lands "
                    "them in PostgreSQL, rolls them up per minute and keeps 90 days of detail.",
     "proposals": {"liam": "6900.00", "fatima": "7400.00"}},
    {"key": "delivery_app", "client": "bob", "outcome": "in_progress", "hire": "diego",
     "title": "Grocery delivery app for iOS and Android", "category": "mobile-development",
     "skills": ["React Native", "TypeScript"], "budget_type": "fixed", "budget_min": "12000.00",
     "budget_max": "18000.00", "days": 90,
     "description": "Customers browse the shop, fill a basket, pay and follow the courier on a map. The API "
                    "exists; we need the app, store listings and a release process.",
     "proposals": {"diego": "15500.00", "mei": "14000.00"}},
    {"key": "firmware", "client": "alice", "outcome": "open", "featured": True,
     "title": "Firmware update tool for the robot fleet", "category": "devops-cloud",
     "skills": ["Python", "Celery"], "budget_type": "hourly", "budget_min": "60.00", "budget_max": "90.00",
     "days": 40,
     "description": "Rolling firmware out to 300 robots by hand takes a day. We want a Python tool that updates "
                    "them in waves, watches for faults and rolls back a wave that goes wrong.",
     "proposals": {"fatima": "5200.00", "liam": "4800.00"}, "shortlist": ["fatima"]},
    {"key": "pick_paths", "client": "alice", "outcome": "open", "featured": True,
     "title": "Machine learning model for pick-path planning", "category": "ai-machine-learning",
     "skills": ["Python", "PostgreSQL"], "budget_type": "fixed", "budget_min": "8000.00",
     "budget_max": "14000.00", "days": 75,
     "description": "We have two years of order and route data. Train a model that suggests shorter pick paths "
                    "and show us, with a back test, how much walking it would save.",
     "proposals": {"liam": "11000.00"}},
    {"key": "checkout", "client": "bob", "outcome": "open", "featured": True,
     "title": "Redesign of the checkout flow", "category": "design-creative",
     "skills": ["Figma", "UX research"], "budget_type": "fixed", "budget_min": "2000.00",
     "budget_max": "4000.00", "days": 35,
     "description": "One in three baskets is abandoned at checkout. Research why with real customers and design "
                    "a shorter, clearer flow for the app and the web.",
     "proposals": {"mei": "3600.00", "diego": "3100.00"}, "shortlist": ["mei"], "withdraw": ["diego"]},
    {"key": "zones", "client": "bob", "outcome": "open",
     "title": "Delivery zones map and routing API", "category": "web-development",
     "skills": ["Django", "PostgreSQL", "Python"], "budget_type": "fixed", "budget_min": "3000.00",
     "budget_max": "6000.00", "days": 50,
     "description": "Drivers cover zones drawn on a map. We need an API to draw and edit zones, assign orders to "
                    "zones and suggest a route for each driver's round.",
     "proposals": {"fatima": "4900.00", "liam": "5200.00"}},
    {"key": "warehouse", "client": "bob", "outcome": "open",
     "title": "Data warehouse for delivery metrics", "category": "data-analytics",
     "skills": ["dbt", "PostgreSQL", "Airflow"], "budget_type": "fixed", "budget_min": "4000.00",
     "budget_max": "7000.00", "days": 45,
     "description": "Orders, couriers and payouts live in three databases. Bring them into one PostgreSQL "
                    "warehouse with tested dbt models, so the weekly numbers come from one place."},
    {"key": "audit", "client": "alice", "outcome": "open", "visibility": "invite_only",
     "title": "Security review of our customer portal", "category": "web-development",
     "skills": ["Django", "Python"], "budget_type": "fixed", "budget_min": "3000.00", "budget_max": "5000.00",
     "days": 30,
     "description": "Before we open the customer portal to more clients we want an independent review of its "
                    "Django code and deployment, with a written report and fixes ranked by risk.",
     "invites": {"fatima": "Your payments work impressed us; would you review our portal?",
                 "liam": "We would value a second pair of eyes on the data exports."},
     "proposals": {"liam": "4100.00"}},
    {"key": "explainer", "client": "alice", "outcome": "draft",
     "title": "Script for a two-minute product explainer video", "category": "writing-translation",
     "skills": ["Copywriting"], "budget_type": "fixed", "budget_min": "400.00", "budget_max": "800.00", "days": 25,
     "description": "A friendly script that explains what our robots do for a warehouse manager, in plain words, "
                    "for a two-minute animated video."},
    {"key": "newsletter", "client": "bob", "outcome": "draft",
     "title": "E-mail templates for weekly offers", "category": "sales-marketing",
     "skills": ["Email marketing", "HTML"], "budget_type": "fixed", "budget_min": "300.00",
     "budget_max": "700.00", "days": 20,
     "description": "Three responsive e-mail templates for our weekly offers that look right in every major "
                    "mail client, with a short guide for our marketing team."},
    {"key": "chatbot", "client": "bob", "outcome": "cancelled",
     "title": "Customer support chatbot", "category": "ai-machine-learning",
     "skills": ["Python"], "budget_type": "hourly", "budget_min": "40.00", "budget_max": "70.00", "days": 45,
     "description": "A chatbot that answers delivery questions from our help centre articles and hands over to a "
                    "person when it is unsure. (We have decided to hire in-house instead.)",
     "proposals": {"liam": "3000.00"}, "reject": ["liam"]},
    {"key": "trade_show", "client": "alice", "outcome": "cancelled",
     "title": "Landing page for the LogiMAT trade show", "category": "web-development",
     "skills": ["HTML", "CSS"], "budget_type": "fixed", "budget_min": "500.00", "budget_max": "1200.00",
     "days": 15,
     "description": "A one-page site for our stand at the trade show with a meeting booking form. (The show was "
                    "postponed.)"},
]

PORTFOLIOS: dict[str, list[dict[str, Any]]] = {
    "fatima": [
        {"title": "Marketplace for vintage furniture", "project_url": "https://example.com/vintage",
         "description": "Django, PostgreSQL full-text search and Stripe Connect payouts for 400 sellers.",
         "colours": [((24, 64, 120), (90, 170, 220)), ((30, 90, 60), (150, 210, 120))]},
        {"title": "Clinic booking system", "project_url": "",
         "description": "Online booking with SMS reminders for a group of twelve dental clinics.",
         "colours": [((110, 30, 60), (240, 150, 120))]},
    ],
    "diego": [
        {"title": "Offline-first field inspection app", "project_url": "https://example.com/inspect",
         "description": "React Native app used by 2,000 inspectors, syncing when they are back in signal.",
         "colours": [((60, 20, 110), (200, 120, 240)), ((20, 20, 20), (120, 120, 120))]},
    ],
    "mei": [
        {"title": "Design system for a banking app", "project_url": "https://example.com/bank-ds",
         "description": "Research with 30 customers, then 80 components in Figma with usage notes.",
         "colours": [((200, 90, 30), (250, 220, 140))]},
        {"title": "Onboarding flow research", "project_url": "",
         "description": "Cut sign-up drop-off by a third for a meal-kit start-up.",
         "colours": [((20, 110, 110), (160, 230, 210)), ((90, 40, 20), (230, 170, 110))]},
    ],
    "liam": [
        {"title": "Sales dashboard for a retail chain", "project_url": "https://example.com/retail",
         "description": "dbt models and a dashboard refreshed every hour for 140 shops.",
         "colours": [((40, 40, 90), (120, 160, 230))]},
    ],
}


def _image(title: str, number: int, colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> SimpleUploadedFile:
    """A 1200 by 800 JPEG: a diagonal gradient between two colours with a few shapes, drawn in memory."""
    width, height = 1200, 800
    vertical = Image.linear_gradient("L").resize((width, height))
    mask = ImageChops.add(vertical, vertical.transpose(Image.Transpose.ROTATE_90).resize((width, height)), scale=2)
    picture = Image.composite(Image.new("RGB", (width, height), colours[1]),
                              Image.new("RGB", (width, height), colours[0]), mask)
    draw = ImageDraw.Draw(picture)
    for index in range(5):
        left = 80 + index * 210
        top = 420 - (index * 53 + number * 31) % 260
        draw.rounded_rectangle((left, top, left + 160, 700), radius=18, fill=(255, 255, 255))
    draw.rectangle((60, 60, width - 60, 140), fill=(255, 255, 255))
    draw.text((90, 78), title, fill=colours[0], font=ImageFont.load_default(size=44))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90)
    return SimpleUploadedFile(f"screen-{number}.jpg", buffer.getvalue(), content_type="image/jpeg")


def demo_people() -> dict[str, User] | None:
    """The demo accounts by their short name ("alice", "fatima"...), or None when they are missing."""
    emails = {entry["email"].split("@")[0]: entry["email"] for entry in [*CLIENTS, *FREELANCERS]}
    users = {user.email: user for user in User.objects.filter(email__in=emails.values())}
    if len(users) != len(emails):
        return None
    return {key: users[email] for key, email in emails.items()}


def _project(spec: dict[str, Any], people: dict[str, User]) -> Project:
    client = people[spec["client"]]
    project = services.project_create(client=client, data={
        "title": spec["title"],
        "description": spec["description"],
        "category": spec["category"],
        "skills": spec["skills"],
        "budget_type": spec["budget_type"],
        "budget_min": Decimal(spec["budget_min"]),
        "budget_max": Decimal(spec["budget_max"]),
        "currency": "usd",
        "deadline": timezone.localdate() + timedelta(days=spec["days"]),
        "visibility": spec.get("visibility", "public"),
        "status": "draft" if spec["outcome"] == "draft" else "open",
    })
    for name, message in spec.get("invites", {}).items():
        services.invite_create(client=client, project=project, freelancer=people[name], message=message)
    proposals: dict[str, Proposal] = {}
    for name, bid in spec.get("proposals", {}).items():
        proposals[name] = services.proposal_submit(freelancer=people[name], project=project, data={
            "cover_letter": LETTERS[name],
            "bid_amount": Decimal(bid),
            "currency": "usd",
            "estimated_duration_days": max(7, spec["days"] - 10),
        })
    for name in spec.get("shortlist", []):
        services.proposal_shortlist(proposal=proposals[name], by=client)
    for name in spec.get("reject", []):
        services.proposal_reject(proposal=proposals[name], by=client)
    for name in spec.get("withdraw", []):
        services.proposal_withdraw(proposal=proposals[name], by=people[name])
    if spec["outcome"] == "cancelled":
        services.project_update(project=project, by=client, data={"status": "cancelled"})
    if spec.get("featured"):
        services.project_feature(project=project, featured=True)
    return project


def seed(stdout: TextIO) -> None:
    people = demo_people()
    if people is None:
        stdout.write("  marketplace: the demo accounts are missing; run accounts' demo first")
        return
    if Project.objects.filter(client=people["alice"], title=MARKER_TITLE).exists():
        return
    # Alice is on the Client Pro plan, which invite-only projects need (a year, as if paid through Stripe).
    alice = people["alice"]
    alice.client_plan_until = timezone.now() + timedelta(days=365)
    alice.save(update_fields=["client_plan_until"])
    for spec in PROJECTS:
        project = _project(spec, people)
        stdout.write(f"  created {project.get_status_display().lower()} project “{project.title}”")
    for name, items in PORTFOLIOS.items():
        for item in items:
            images: list[UploadedFile] = [_image(item["title"], number, colours)
                                          for number, colours in enumerate(item["colours"], 1)]
            services.portfolio_item_create(freelancer=people[name], images=images, data={
                "title": item["title"], "description": item["description"], "project_url": item["project_url"],
            })
        stdout.write(f"  created {len(items)} portfolio item(s) for {people[name].email}")
