"""Services made through the real services, as sellers would make them."""

import io
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gigs.models import Service
from gigs.services import service_create, service_images_add
from marketplace.categories import categories_ensure_defaults


def package(tier: str = "basic", price: str = "50.00", days: int = 3, **overrides: Any) -> dict[str, Any]:
    return {"tier": tier, "title": f"{tier.capitalize()} logo", "description": f"What the {tier} package includes",
            "price": Decimal(price), "delivery_days": days, "revisions": 2, **overrides}


def make_service(seller, *, packages: list[dict[str, Any]] | None = None, **overrides: Any) -> Service:
    categories_ensure_defaults()  # a test that flushed the database removed the migration's categories
    data = {
        "title": "I will design a modern logo for your brand",
        "description": "Three concepts, vector files and a short brand guide, drawn by hand and refined with you.",
        "category": "design-creative",
        "skills": ["Logo design", "Illustrator"],
        "packages": [package()] if packages is None else packages,
        "extras": [],
        "status": "active",
        **overrides,
    }
    return service_create(seller=seller, data=data)


def image_file(name: str = "picture.png", colour: tuple[int, int, int] = (20, 120, 200),
               size: tuple[int, int] = (300, 200), image_format: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def add_image(service: Service, **kwargs: Any) -> None:
    service_images_add(service=service, by=service.seller, uploads=[image_file(**kwargs)])
