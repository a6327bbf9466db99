"""Works with real, processed media (small images process in well under a second)."""

from django.core.files.base import ContentFile

from media import pipeline, services
from media.models import MediaAsset
from media.tests import samples
from ugc.models import Licence, Work


def processed_asset(owner, *, data: bytes | None = None, name="photo.png", kind="image", fmt="png"):
    stored = services.store_file(
        content=ContentFile(data or samples.image_bytes("png", size=(400, 300))),
        original_name=name,
        content_type="image/png",
        owner=owner,
        prefix="originals",
    )
    asset = MediaAsset.objects.create(original=stored, kind=kind, format=fmt)
    pipeline.run(asset.pk)
    asset.refresh_from_db()
    return asset


def make_work(owner, *, title="沈阳老街", tags=(), licence=Licence.CC_BY, **asset_kwargs) -> Work:
    asset = processed_asset(owner, **asset_kwargs)
    work = Work.objects.create(
        owner=owner, asset=asset, title=title, kind=asset.kind, licence=licence
    )
    if tags:
        work.tags.set(list(tags))
    return work
