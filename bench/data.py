"""The benchmark's data: a marketplace at the scale of `Scale`, loaded in bulk once and reused between runs.

Everything is made in one database of its own (never the application's): users, freelancers with skills,
projects with skills and proposals, one long chat, one user's notifications and a sign-in session per user.
"""

import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

WORDS = [
    "booking", "payments", "dashboard", "mobile", "redesign", "migration", "api", "analytics", "shop",
    "marketplace", "search", "chat", "invoice", "reporting", "scraper", "onboarding", "checkout", "newsletter",
    "inventory", "scheduling",
]
RARE = "zeppelin"
COMMON = "payments"
SKILLS = ["Django", "React", "Figma", "Python", "Go", "SQL", "Vue", "Swift", "Kotlin", "Rust", "Node", "AWS"]


@dataclass(frozen=True)
class Scale:
    projects: int
    users: int
    freelancers: int
    messages: int
    notifications: int
    services: int = 0

    @classmethod
    def full(cls, projects: int = 100_000) -> "Scale":
        return cls(projects=projects, users=20_000, freelancers=5_000, messages=100_000, notifications=10_000,
                   services=projects // 2)

    @classmethod
    def quick(cls) -> "Scale":
        """A smoke run's: every list has several pages and a deep page, and loads in seconds."""
        return cls(projects=2_000, users=500, freelancers=150, messages=2_000, notifications=300, services=1_000)

    def describe(self) -> str:
        return (f"{self.projects:,} projects, {self.services:,} services, {self.users:,} users "
                f"({self.freelancers:,} freelancers), a chat of {self.messages:,} messages, a user with "
                f"{self.notifications:,} notifications")


class Progress:
    """One line on stderr that counts up: `label  [#####.....]  n / total`."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.started = label, max(total, 1), 0, time.perf_counter()
        self.show()

    def add(self, n: int) -> None:
        self.done += n
        self.show()

    def show(self) -> None:
        filled = int(30 * self.done / self.total)
        sys.stderr.write(f"\r  {self.label:<26} [{'#' * filled}{'.' * (30 - filled)}] {self.done:>9,} / "
                         f"{self.total:,}  {time.perf_counter() - self.started:5.0f} s")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _batched(label: str, total: int, make: Any, save: Any, size: int = 5000) -> None:
    progress = Progress(label, total)
    batch: list[Any] = []
    for n in range(total):
        batch.append(make(n))
        if len(batch) == size:
            save(batch)
            progress.add(len(batch))
            batch = []
    if batch:
        save(batch)
        progress.add(len(batch))


def ensure_database(url: str, database: str, *, schema_from: str | None = None) -> str:
    """Creates `database` on the server of `url` when missing; returns its URL.

    `schema_from`: a migrated database on the same server whose tables, indexes, constraints, triggers and
    migration records a new database copies (`pg_dump`), so that `migrate` finds nothing left to do. Without it,
    or when the copy fails, `migrate` builds the schema (minutes on a busy machine)."""
    import psycopg

    target = url.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            return target
        conn.execute(f'CREATE DATABASE "{database}"')
    pg_dump, psql = shutil.which("pg_dump"), shutil.which("psql")
    if schema_from and pg_dump and psql:
        source = url.rsplit("/", 1)[0] + f"/{schema_from}"
        try:
            schema = subprocess.run([pg_dump, "--schema-only", "--no-owner", "--no-privileges", source],
                                    check=True, capture_output=True).stdout
            records = subprocess.run([pg_dump, "--data-only", "--no-owner", "--table=django_migrations", source],
                                     check=True, capture_output=True).stdout
            subprocess.run([psql, "--quiet", "--set=ON_ERROR_STOP=1", "--dbname", target], input=schema + records,
                           check=True, capture_output=True)
        except subprocess.CalledProcessError as exc:
            print(f"  schema not copied ({exc.stderr.decode()[-300:]}); migrating instead", file=sys.stderr)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{database}"')
                conn.execute(f'CREATE DATABASE "{database}"')
    return target


def _copy(model: Any) -> Any:
    """A `save(batch)` that writes model instances with PostgreSQL's COPY: several times faster than
    `bulk_create`'s INSERTs for the benchmark's hundreds of thousands of rows. Ids come from their sequences."""
    from django.db import connection, models

    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"

    def save(batch: list[Any]) -> None:
        rows = [[f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in batch]
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    return save


def fill(scale: Scale) -> dict[str, int]:
    """Loads what is missing (Django must be set up on the benchmark's database); returns the ids the
    benchmark drives: the chat, its client, the user with notifications and a staff user."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.postgres.search import SearchVector
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from accounts.models import AuthSession, Skill, User, UserType
    from marketplace.categories import categories_ensure_defaults
    from marketplace.models import Category, Project, Proposal
    from messaging.models import Chat, ChatMember, Message, Notification

    rng = random.Random(7)
    now = timezone.now()
    password = make_password("bench-password-not-used")
    categories_ensure_defaults()
    skills = [Skill.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in SKILLS]

    staff, _ = User.objects.get_or_create(email="bench-staff@example.com", defaults={
        "is_staff": True, "is_superuser": True, "password": password, "first_name": "Staff"})
    have = User.objects.filter(email__startswith="bench-user-").count()
    if have < scale.users:
        def make_user(n: int) -> User:
            n += have
            freelancer = n < scale.freelancers
            return User(email=f"bench-user-{n}@example.com", password=password, first_name=f"Name{n}",
                        last_name="Bench", user_type=UserType.FREELANCER if freelancer else UserType.CLIENT,
                        email_verified=n % 3 == 0, headline="Full-stack developer" if freelancer else "",
                        bio="I build web applications. " * 10 if freelancer else "", country=["US", "DE", "PK"][n % 3],
                        hourly_rate=rng.randrange(10, 150) if freelancer else None,
                        company="" if freelancer else "Acme",
                        date_joined=now - timedelta(days=rng.randrange(0, 400)),
                        last_login=now - timedelta(days=rng.randrange(0, 90)))
        _batched("users", scale.users - have, make_user, _copy(User))
    users = list(User.objects.filter(email__startswith="bench-user-").order_by("id").values_list("id", "user_type"))
    freelancer_ids = [pk for pk, kind in users if kind == UserType.FREELANCER]
    client_ids = [pk for pk, kind in users if kind == UserType.CLIENT]

    Through = User.skills.through
    if not Through.objects.filter(user_id__in=freelancer_ids[:1]).exists():
        def make_user_skills(n: int) -> list[Any]:
            return [Through(user_id=freelancer_ids[n], skill_id=skill.pk) for skill in rng.sample(skills, 3)]
        save_user_skills = _copy(Through)
        _batched("freelancer skills", len(freelancer_ids), make_user_skills,
                 lambda batch: save_user_skills([row for rows in batch for row in rows]))

    if not AuthSession.objects.filter(user_id__in=[users[0][0]]).exists():
        def make_session(n: int) -> AuthSession:
            return AuthSession(user_id=users[n][0], user_agent="bench")
        _batched("sign-in sessions", len(users), make_session, _copy(AuthSession))
        AuthSession.objects.filter(user_agent="bench").update(created_at=now - timedelta(days=45))
        AuthSession.objects.filter(user_agent="bench", user_id__in=[pk for pk, _ in users[::4]]).update(
            created_at=now - timedelta(days=3))

    have = Project.objects.count()
    if have < scale.projects:
        categories = list(Category.objects.all())

        def make_project(n: int) -> Project:
            n += have
            words = rng.sample(WORDS, 4) + ([RARE] if n % 5000 == 0 else [])
            low = rng.randrange(100, 20000)
            status = "draft" if n % 10 == 0 else ("in_progress" if n % 10 == 1 else "open")
            return Project(
                client_id=rng.choice(client_ids), title=" ".join(words[:3]).capitalize(),
                description=f"We need help with {' and '.join(words)}. " * 5, category=rng.choice(categories),
                skills_text=" ".join(rng.sample(SKILLS, 2)), budget_min=low, budget_max=low + rng.randrange(0, 5000),
                status=status, visibility="invite_only" if n % 25 == 0 else "public",
                published_at=None if status == "draft" else now - timedelta(minutes=scale.projects - n),
            )
        _batched("projects", scale.projects - have, make_project, _copy(Project))
        progress = Progress("search vectors", 1)
        with transaction.atomic():
            Project.objects.filter(search_vector__isnull=True).update(
                search_vector=SearchVector("title", weight="A", config="english")
                + SearchVector("skills_text", weight="A", config="english")
                + SearchVector("description", weight="B", config="english"))
        progress.add(1)
        project_ids = list(Project.objects.order_by("id").values_list("id", flat=True))[have:]
        ProjectSkill = Project.skills.through

        def make_project_skills(n: int) -> list[Any]:
            return [ProjectSkill(project_id=project_ids[n], skill_id=s.pk) for s in rng.sample(skills, 2)]
        save_project_skills = _copy(ProjectSkill)
        _batched("project skills", len(project_ids), make_project_skills,
                 lambda batch: save_project_skills([row for rows in batch for row in rows]))

        def make_proposals(n: int) -> list[Proposal]:
            chosen = rng.sample(freelancer_ids, 3) if n % 2 == 0 else []
            return [Proposal(project_id=project_ids[n], freelancer_id=f, cover_letter="I can do this well. " * 5,
                             bid_amount=rng.randrange(100, 5000), estimated_duration_days=14) for f in chosen]
        save_proposals = _copy(Proposal)
        _batched("proposals", len(project_ids), make_proposals,
                 lambda batch: save_proposals([row for rows in batch for row in rows]))

    _fill_services(scale, rng, freelancer_ids, now)

    client_id, freelancer_id = client_ids[0], freelancer_ids[0]
    chat, created = Chat.objects.get_or_create(client_id=client_id, freelancer_id=freelancer_id)
    if created:
        ChatMember.objects.bulk_create([ChatMember(chat=chat, user_id=client_id),
                                        ChatMember(chat=chat, user_id=freelancer_id)])
    have = Message.objects.filter(chat=chat).count()
    if have < scale.messages:
        def make_message(n: int) -> Message:
            return Message(chat=chat, sender_id=client_id if n % 2 else freelancer_id,
                           content=f"Message {n + have}: {' '.join(rng.sample(WORDS, 6))}")
        _batched("chat messages", scale.messages - have, make_message, _copy(Message))
        ids = list(Message.objects.filter(chat=chat).order_by("id").values_list("id", flat=True))
        ChatMember.objects.filter(chat=chat).update(last_read_message_id=ids[len(ids) // 2],
                                                    last_delivered_message_id=ids[len(ids) // 2])
        Chat.objects.filter(pk=chat.pk).update(last_message_at=now)

    have = Notification.objects.filter(user_id=client_id).count()
    if have < scale.notifications:
        def make_notification(n: int) -> Notification:
            return Notification(user_id=client_id, kind="message_received", title=f"New message {n}",
                                message="You have a new message.", data={"chat_id": chat.pk},
                                read_at=now if n % 3 else None)
        _batched("notifications", scale.notifications - have, make_notification, _copy(Notification))

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.get_autocommit() else cursor.execute("ANALYZE")
    return {"chat": chat.pk, "client": client_id, "staff": staff.pk, "freelancer": freelancer_id}


def _fill_services(scale: Scale, rng: random.Random, freelancer_ids: list[int], now: Any) -> None:
    """Services of the freelancers: one in ten a draft, the rest active with one to three packages, and the figures
    a card shows (cheapest price, fastest delivery) on the service's row, as the product keeps them."""
    from django.contrib.postgres.search import SearchVector
    from django.db import transaction

    from gigs.models import Service, ServicePackage
    from marketplace.models import Category

    have = Service.objects.count()
    if have >= scale.services:
        return
    categories = list(Category.objects.all())

    def make_service(n: int) -> Service:
        n += have
        words = rng.sample(WORDS, 3) + ([RARE] if n % 2500 == 0 else [])
        price = rng.randrange(10, 2000)
        status = "draft" if n % 10 == 0 else "active"
        return Service(
            seller_id=rng.choice(freelancer_ids), title=f"I will do your {' '.join(words)}",
            description=f"Fast and careful help with {' and '.join(words)}. " * 4, category=rng.choice(categories),
            skills_text=" ".join(rng.sample(SKILLS, 2)), status=status, price_from=price,
            fastest_delivery_days=rng.randrange(1, 30),
            rating_avg=Decimal(f"{rng.uniform(3, 5):.2f}") if n % 3 else None, rating_count=rng.randrange(0, 40),
            published_at=None if status == "draft" else now - timedelta(minutes=scale.services - n),
        )
    _batched("services", scale.services - have, make_service, Service.objects.bulk_create)
    progress = Progress("service search vectors", 1)
    with transaction.atomic():
        Service.objects.filter(search_vector__isnull=True).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("skills_text", weight="A", config="english")
            + SearchVector("description", weight="B", config="english"))
    progress.add(1)
    rows = list(Service.objects.order_by("id").values_list("id", "price_from", "fastest_delivery_days"))[have:]

    def make_packages(n: int) -> list[ServicePackage]:
        pk, price, days = rows[n]
        tiers = ("basic", "standard", "premium")[: 1 + n % 3]
        return [ServicePackage(service_id=pk, tier=tier, title=tier.capitalize(), description="What is included",
                               price=price * (1 + index), delivery_days=days + 3 * index, revisions=index + 1)
                for index, tier in enumerate(tiers)]
    _batched("service packages", len(rows), make_packages,
             lambda batch: ServicePackage.objects.bulk_create([row for rows in batch for row in rows]))


def main() -> None:
    """Loads the data only: `python bench/data.py [--quick]` (the benchmark does this itself)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench.run import prepare

    prepare(quick="--quick" in sys.argv)


if __name__ == "__main__":
    main()
