"""Evidence pictures (joint cases and appeals alike): checked by their bytes, kept once
under their SHA-256 in the data folder, within the quotas."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from bot.errors import BadInput

PICTURE_MAX_BYTES = 10 * 1024 * 1024


# Evidence quotas: one message, one case, one shop in a day, and the whole evidence
# folder (thirty 9 MB pictures in one message were all stored before).
PICTURES_PER_MESSAGE = 9


PICTURES_PER_CASE = 60


PICTURES_PER_SHOP_PER_DAY = 30


_PICTURE_TYPES = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg", b"GIF87a": "gif", b"GIF89a": "gif"}


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*")) if folder.is_dir() else 0


def evidence_items(description: str, pictures: list[bytes]) -> list[tuple[str, str | None, bytes | None]]:
    """(SHA-256, file name, bytes) of each picture, checked for size and type before any
    is kept; the description alone (no file) when there is no picture. The rules of
    joint-case and appeal evidence alike."""
    items: list[tuple[str, str | None, bytes | None]] = []
    for data in pictures:
        if len(data) > PICTURE_MAX_BYTES:
            raise BadInput("joint.picture_too_large", limit_mb=PICTURE_MAX_BYTES // 1024 // 1024)
        ext = picture_type(data)
        if ext is None:
            raise BadInput("joint.picture_type")
        digest = hashlib.sha256(data).hexdigest()
        items.append((digest, f"{digest}.{ext}", data))
    if not pictures:
        items.append((hashlib.sha256(description.encode()).hexdigest(), None, None))
    return items


async def store_picture(path: Path, content: bytes) -> None:
    """Write once under its hash, through a temporary name (never a half-written picture
    under the name of a whole one), in a thread (never the event loop on the disk)."""

    def write() -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(content)
        temporary.replace(path)

    await asyncio.to_thread(write)


def picture_type(data: bytes) -> str | None:
    for magic, ext in _PICTURE_TYPES.items():
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
