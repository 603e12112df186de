"""What a finished image job adds to the cast: a reference image of its asset, or its keyframe's picture."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vsl.cast import repo
from vsl.db.models import AssetImage, Keyframe, NovelaVideo


def image_key(video: NovelaVideo, suffix: str) -> str:
    purpose = (video.scene_details or {}).get("purpose", "image")
    return f"images/novela-{video.novela_id}/{purpose}-{video.take}-{video.id}.{suffix}"


def link_output(session: Session, video: NovelaVideo, key: str) -> None:
    """Attach the stored image to its asset (first image becomes the chosen one) or to its keyframe; once."""
    details = video.scene_details or {}
    ref = f"media:{key}"
    if details.get("purpose") == "keyframe":
        frame = session.get(Keyframe, details.get("keyframe_id"))
        if frame is not None:
            frame.ref = ref
        return
    asset_id = details.get("asset_id")
    if repo.asset(session, asset_id or 0) is None:
        return  # the asset was deleted while its portrait was being made: the image stays in the library
    existing = repo.images(session, [asset_id])[asset_id]
    if any(i.video_id == video.id for i in existing):
        return
    session.add(AssetImage(asset_id=asset_id, ref=ref, source="generated", chosen=not existing, video_id=video.id))
