"""Demo accounts: one staff member, clients and freelancers with believable profiles.

The README lists these logins; keep the two in step.
"""

from decimal import Decimal
from typing import Any, TextIO

from .models import User, UserType
from .services import skills_from_names

STAFF = {"email": "admin@megilance.test", "password": "megilance-admin", "first_name": "Morgan",
         "last_name": "Reyes"}
DEMO_PASSWORD = "megilance-demo"

CLIENTS = [
    {"email": "alice@acme.test", "first_name": "Alice", "last_name": "Moreau", "company": "Acme Robotics",
     "country": "FR", "timezone": "Europe/Paris", "headline": "Head of product at Acme Robotics",
     "bio": "We build warehouse robots and hire for web dashboards, data work and firmware tooling."},
    {"email": "bob@northwind.test", "first_name": "Bob", "last_name": "Okafor", "company": "Northwind Foods",
     "country": "NG", "timezone": "Africa/Lagos", "headline": "Founder, Northwind Foods",
     "bio": "A growing grocery delivery start-up looking for mobile and design help."},
]

FREELANCERS: list[dict[str, Any]] = [
    {"email": "fatima@megilance.test", "first_name": "Fatima", "last_name": "Haddad", "country": "MA",
     "timezone": "Africa/Casablanca", "headline": "Senior Django & PostgreSQL engineer",
     "bio": "Nine years building marketplaces and payment systems in Python. I write tests first.",
     "hourly_rate": Decimal("85.00"), "skills": ["Django", "Python", "PostgreSQL", "Stripe", "Celery"]},
    {"email": "diego@megilance.test", "first_name": "Diego", "last_name": "Santos", "country": "BR",
     "timezone": "America/Sao_Paulo", "headline": "React Native and TypeScript developer",
     "bio": "Mobile apps from first sketch to the stores; offline-first, accessible, fast.",
     "hourly_rate": Decimal("60.00"), "skills": ["React Native", "TypeScript", "React", "Figma"]},
    {"email": "mei@megilance.test", "first_name": "Mei", "last_name": "Tanaka", "country": "JP",
     "timezone": "Asia/Tokyo", "headline": "Product designer, UX research",
     "bio": "I help teams find what users need and design it: research, flows, design systems.",
     "hourly_rate": Decimal("70.00"), "skills": ["Figma", "UX research", "Design systems"], "available": False},
    {"email": "liam@megilance.test", "first_name": "Liam", "last_name": "O'Connor", "country": "IE",
     "timezone": "Europe/Dublin", "headline": "Data engineer: pipelines, dbt, analytics",
     "bio": "Reliable data pipelines and dashboards people trust.",
     "hourly_rate": Decimal("75.00"), "skills": ["Python", "dbt", "PostgreSQL", "Airflow"]},
]


def _ensure(fields: dict, *, user_type: str, password: str, stdout: TextIO, **extra: object) -> User:
    fields = dict(fields)
    skills = fields.pop("skills", None)
    email = fields.pop("email")
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, user_type=user_type, email_verified=True, **fields, **extra)
        user.set_password(password)
        user.save()
        if skills:
            user.skills.set(skills_from_names(skills))
        stdout.write(f"  created {user_type or 'staff'} {email}")
    return user


def seed(stdout: TextIO) -> None:
    staff = {key: value for key, value in STAFF.items() if key != "password"}
    _ensure(staff, user_type="", password=STAFF["password"], stdout=stdout, is_staff=True, is_superuser=True)
    for client in CLIENTS:
        _ensure(client, user_type=UserType.CLIENT, password=DEMO_PASSWORD, stdout=stdout)
    for freelancer in FREELANCERS:
        _ensure(freelancer, user_type=UserType.FREELANCER, password=DEMO_PASSWORD, stdout=stdout)
