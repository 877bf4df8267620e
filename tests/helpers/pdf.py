"""The text of a PDF made with reportlab's built-in fonts, for asserting on: every content stream unpacked,
the strings it draws joined with spaces."""

import base64
import contextlib
import re
import zlib


def _unescape(match: re.Match[bytes]) -> bytes:
    """A PDF string escape: \\( \\) \\\\ or an octal code (reportlab writes "ü" as \\374, in WinAnsi)."""
    code = match.group(1)
    return bytes([int(code, 8)]) if re.fullmatch(rb"[0-7]{1,3}", code) else code


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF"), data[:20]
    chunks: list[str] = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\n?endstream", data, flags=re.S):
        body = raw
        if body.endswith(b"~>"):  # reportlab's ASCII85 layer around the deflated stream
            body = base64.a85decode(body, adobe=True) if body.startswith(b"<~") else base64.a85decode(body[:-2])
        with contextlib.suppress(zlib.error):
            body = zlib.decompress(body)
        for text in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", body, flags=re.S):
            chunks.append(re.sub(rb"\\([0-7]{1,3}|.)", _unescape, text, flags=re.S).decode("cp1252", errors="replace"))
    return " ".join(chunks)
