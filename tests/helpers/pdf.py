"""The text of a PDF made with reportlab's built-in fonts, for asserting on: every content stream unpacked,
the strings it draws joined with spaces."""

import base64
import contextlib
import re
import zlib


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
            chunks.append(text.replace(rb"\(", b"(").replace(rb"\)", b")").replace(rb"\\", b"\\")
                          .decode("latin-1"))
    return " ".join(chunks)
