"""Uploaded files are recognised by their first bytes, not their names, and limited in size."""

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext

from .exceptions import ApplicationError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    is_image: bool = False


_SIGNATURES: list[tuple[bytes, int, FileKind]] = [
    (b"%PDF-", 0, FileKind("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", 0, FileKind("image/png", "png", True)),
    (b"\xff\xd8\xff", 0, FileKind("image/jpeg", "jpg", True)),
    (b"GIF87a", 0, FileKind("image/gif", "gif", True)),
    (b"GIF89a", 0, FileKind("image/gif", "gif", True)),
    (b"PK\x03\x04", 0, FileKind("application/zip", "zip")),
]
_WEBP = FileKind("image/webp", "webp", True)
_TEXT = FileKind("text/plain", "txt")
_OFFICE = {
    "docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}


def _reject(field: str, message: str) -> ApplicationError:
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def sniff(head: bytes, name: str = "") -> FileKind | None:
    """What a file is, judged by its first bytes (the name only tells zip-based office files apart)."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _WEBP
    for signature, offset, kind in _SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            if kind.extension == "zip":
                suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
                return _OFFICE.get(suffix, kind)
            return kind
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(head) - 3:
                return None
        return _TEXT
    return None


def file_check(upload: UploadedFile, *, field: str, max_bytes: int = MAX_ATTACHMENT_BYTES) -> FileKind:
    if upload.size is None or upload.size == 0:
        raise _reject(field, gettext("The file is empty."))
    if upload.size > max_bytes:
        raise _reject(field, gettext("The file is larger than %(size)s MB.") % {"size": max_bytes // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff(head, upload.name or "")
    if kind is None:
        raise _reject(field, "This type of file is not accepted. Use PDF, images, text, office documents or zip.")
    return kind
