"""Demo services: what the demo freelancers sell, with packages, extras and a gallery of generated pictures.

Built on the demo accounts through the same services the API uses. It runs once: when the marker service exists,
nothing is touched.
"""

from decimal import Decimal
from typing import Any, TextIO

from marketplace.demo import _image, demo_people

from . import services
from .models import Service

MARKER_TITLE = "I will build your Django and PostgreSQL back end"

SERVICES: list[dict[str, Any]] = [
    {"seller": "fatima", "title": MARKER_TITLE, "category": "web-development",
     "skills": ["Django", "PostgreSQL", "Python"],
     "description": "A tested, documented Django back end: models, an API with an OpenAPI schema, sign-in and "
                    "an admin your team can use on day one. I write the tests first and deploy with you.",
     "requirements": ["What should the application do?", "Do you have designs or an existing database?"],
     "packages": [("basic", "One app", "One Django app with its models, admin and tests", "250.00", 5, 1),
                  ("standard", "API", "Up to five resources with a REST API, tests and docs", "900.00", 12, 2),
                  ("premium", "Full back end", "API, payments with Stripe, background jobs and deployment",
                   "2400.00", 25, 4)],
     "extras": [("Deployment to your server", "150.00", 2), ("A second round of load testing", "120.00", 1)],
     "colours": [((11, 92, 173), (99, 179, 237)), ((21, 93, 49), (120, 200, 150))]},
    {"seller": "fatima", "title": "I will add Stripe payments to your Django site", "category": "web-development",
     "skills": ["Stripe", "Django"],
     "description": "Card payments, subscriptions and payouts with Stripe, with webhooks handled once and tested "
                    "against Stripe's own test cards.",
     "requirements": ["Which payments do you take: one-off, subscriptions or marketplace payouts?"],
     "packages": [("basic", "Checkout", "One-off card payments with Stripe Checkout", "300.00", 4, 1),
                  ("standard", "Subscriptions", "Plans, trials and the customer portal", "750.00", 8, 2)],
     "extras": [("Invoices as PDF", "90.00", 2)],
     "colours": [((99, 91, 255), (180, 170, 255))]},
    {"seller": "diego", "title": "I will build a React Native app prototype", "category": "mobile-development",
     "skills": ["React Native", "TypeScript"],
     "description": "A working prototype on iOS and Android from your sketches, offline-first and accessible, "
                    "ready to test with real users.",
     "requirements": ["Share your sketches or a list of screens."],
     "packages": [("basic", "Three screens", "Three screens with navigation", "400.00", 6, 1),
                  ("standard", "Eight screens", "Eight screens, offline storage and sign-in", "1100.00", 14, 2),
                  ("premium", "Store ready", "Up to fifteen screens, push notifications, store submission",
                   "2600.00", 30, 3)],
     "extras": [("Dark mode", "120.00", 2)],
     "colours": [((138, 59, 18), (240, 170, 110)), ((91, 74, 0), (230, 210, 120))]},
    {"seller": "mei", "title": "I will design a logo and a small brand guide", "category": "design-creative",
     "skills": ["Figma", "Logo design"],
     "description": "Three logo concepts drawn from a short talk about your customers, refined with you, and "
                    "delivered with colours, type and a one-page guide.",
     "requirements": ["What does your company do, and for whom?", "Any colours or styles you love or hate?"],
     "packages": [("basic", "Logo", "Two concepts and the final files", "60.00", 2, 2),
                  ("standard", "Logo and colours", "Three concepts, colours and type", "180.00", 5, 3),
                  ("premium", "Brand guide", "Three concepts, colours, type and a ten-page guide", "450.00", 10, 5)],
     "extras": [("Social media kit", "40.00", 1), ("Source files in Figma", "25.00", 0)],
     "colours": [((107, 47, 160), (230, 180, 240)), ((163, 24, 90), (250, 170, 200))]},
    {"seller": "liam", "title": "I will set up your analytics pipeline with dbt", "category": "data-analytics",
     "skills": ["dbt", "SQL"],
     "description": "Reliable models in dbt with tests and alerts, and a dashboard people actually open.",
     "requirements": ["Where does your data live today?"],
     "packages": [("basic", "Audit", "A review of your data and a plan", "150.00", 3, 1),
                  ("standard", "Pipeline", "Ten dbt models with tests and a daily run", "1300.00", 14, 2)],
     "extras": [],
     "colours": [((15, 106, 120), (140, 220, 230))]},
]


def seed(stdout: TextIO) -> None:
    people = demo_people()
    if people is None:
        stdout.write("  gigs: the demo accounts are missing; run accounts' demo first")
        return
    if Service.objects.filter(title=MARKER_TITLE).exists():
        return
    for spec in SERVICES:
        seller = people[spec["seller"]]
        service = services.service_create(seller=seller, data={
            "title": spec["title"], "description": spec["description"], "category": spec["category"],
            "skills": spec["skills"], "requirements": spec["requirements"],
            "packages": [{"tier": tier, "title": title, "description": included, "price": Decimal(price),
                          "delivery_days": days, "revisions": revisions}
                         for tier, title, included, price, days, revisions in spec["packages"]],
            "extras": [{"title": title, "price": Decimal(price), "delivery_days": days}
                       for title, price, days in spec["extras"]],
            "status": "active",
        })
        services.service_images_add(service=service, by=seller, uploads=[
            _image(spec["title"][:34], number, colours) for number, colours in enumerate(spec["colours"], 1)])
        stdout.write(f"  created the service “{service.title}” for {seller.email}")
