"""Checking an uploaded reference image before it is stored: a real image, at most 10 MB, sane dimensions."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from vsl.novelas.references import MAX_REFERENCE_BYTES, BadReferenceImage, store_reference_image
from vsl.storage.base import Storage

MIN_SIDE = 64
MAX_SIDE = 8192
MAX_ASPECT = 4.0


@dataclass(frozen=True)
class StoredImage:
    ref: str  # media:<key>
    width: int
    height: int


def _dimensions(filename: str, data: bytes) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadReferenceImage(f"{filename!s:.80} is not a readable image ({exc.__class__.__name__}).") from exc


def check_dimensions(filename: str, width: int, height: int) -> None:
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise BadReferenceImage(
            f"{filename!s:.80} is {width}×{height} pixels; use an image between {MIN_SIDE} and {MAX_SIDE} "
            "pixels on each side."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT:
        raise BadReferenceImage(
            f"{filename!s:.80} is {width}×{height} pixels, stretched more than {MAX_ASPECT:g}:1; crop it first."
        )


def store_upload(storage: Storage, filename: str, data: bytes) -> StoredImage:
    """Check and store one upload; raises BadReferenceImage with a message for the user."""
    if len(data) > MAX_REFERENCE_BYTES:
        raise BadReferenceImage(f"{filename!s:.80} is {len(data) / 1e6:.1f} MB; images must be at most 10 MB.")
    width, height = _dimensions(filename, data)
    check_dimensions(filename, width, height)
    return StoredImage(store_reference_image(storage, filename, data), width, height)
