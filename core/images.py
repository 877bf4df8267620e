"""Uploaded images are checked by their content, not their name, and re-encoded before they are stored."""

import io
import uuid

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

from .exceptions import ApplicationError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
MAX_PIXELS = 40_000_000


def image_clean(upload: UploadedFile, *, field: str, max_bytes: int, max_side: int) -> ContentFile:
    """Returns the image re-encoded (metadata stripped, at most `max_side` pixels a side) or raises a 400."""

    def reject(message: str) -> ApplicationError:
        return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                                errors={field: [message]})

    if upload.size is not None and upload.size > max_bytes:
        raise reject(gettext("The image is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)})
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
        upload.seek(0)
        image: Image.Image = Image.open(upload)
        if image.width * image.height > MAX_PIXELS:
            raise reject("The image has too many pixels.")
        image_format = image.format or ""
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise reject("Upload a JPEG, PNG, WebP or GIF image.") from exc
    if image_format not in ALLOWED_FORMATS:
        raise reject("Upload a JPEG, PNG, WebP or GIF image.")
    extension = ALLOWED_FORMATS[image_format]
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    if extension == "jpg" and image.mode == "RGBA":
        image = image.convert("RGB")
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    save_format = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[extension]
    image.save(buffer, format=save_format, **({"quality": 88} if save_format != "PNG" else {"optimize": True}))
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
