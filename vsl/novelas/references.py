"""Reference character images uploaded in the wizard: checked to be real images, stored as media."""

from __future__ import annotations

import io
import uuid

from PIL import Image, UnidentifiedImageError

from vsl.storage.base import Storage

MAX_REFERENCE_BYTES = 10 * 1024 * 1024
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}


class BadReferenceImage(ValueError):
    pass


def store_reference_image(storage: Storage, filename: str, data: bytes) -> str:
    """Store an uploaded PNG/JPEG/WebP and return its `media:<key>` reference. Raises BadReferenceImage."""
    if len(data) > MAX_REFERENCE_BYTES:
        raise BadReferenceImage(
            f"{filename!s:.80} is {len(data) / 1e6:.1f} MB; reference images must be at most 10 MB."
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadReferenceImage(
            f"{filename!s:.80} is not a picture the studio can read; choose a PNG, JPEG or WebP image."
        ) from exc
    if fmt not in FORMATS:
        raise BadReferenceImage(f"{filename!s:.80} is a {fmt or 'unknown'} file; use PNG, JPEG or WebP.")
    suffix, content_type = FORMATS[fmt]
    key = f"references/{uuid.uuid4().hex}.{suffix}"
    storage.put_bytes(key, data, content_type)
    return f"media:{key}"
