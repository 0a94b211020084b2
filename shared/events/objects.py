"""A batch's events on S3: one object per processed batch, never a PUT per event.

The object is gzip NDJSON (``events/<yyyy>/<mm>/<dd>/<hh>/<batch>.ndjson.gz``): one JSON document
per line, each line compressed as a gzip member of its own. Concatenated members are one valid gzip
stream (any tool reads the object whole), and each event's byte range decompresses alone, so a
reader fetches only the ranges it needs: one ranged GET per object, covering the events it wants
from that object. Objects expire with the bucket's lifecycle rule (``EventRetentionDays``)."""

from __future__ import annotations

import gzip
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.config import settings
from shared.storage.objects import s3

# Parallel ranged GETs of one read (a page's events span a few objects).
READ_THREADS = 8


@dataclass(frozen=True)
class Location:
    """Where one event's document is: its object and byte range."""

    object_key: str
    offset: int
    length: int


def new_object_key(when: datetime) -> str:
    """A batch's object name: by the hour it was kept (what a reader or an operator browses by),
    then a random name (concurrent batches never collide)."""
    return f"events/{when:%Y/%m/%d/%H}/{uuid.uuid4().hex}.ndjson.gz"


def batch_name(object_key: str) -> str:
    """The random part of an object's name, which the index keys use."""
    return object_key.rsplit("/", 1)[-1].split(".", 1)[0]


def encode_documents(documents: Sequence[dict[str, Any]]) -> tuple[bytes, list[tuple[int, int]]]:
    """The object's body and each document's byte range (offset, length), in order."""
    body = bytearray()
    ranges = []
    for document in documents:
        line = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        member = gzip.compress(line, compresslevel=6, mtime=0)
        ranges.append((len(body), len(member)))
        body += member
    return bytes(body), ranges


def put_documents(object_key: str, documents: Sequence[dict[str, Any]]) -> list[Location]:
    """Write ``documents`` as one object (one PUT); their locations, in order."""
    body, ranges = encode_documents(documents)
    s3().put_object(
        Bucket=settings().events_bucket,
        Key=object_key,
        Body=body,
        ContentType="application/x-ndjson",
    )
    return [Location(object_key, offset, length) for offset, length in ranges]


def read_documents(locations: Iterable[Location]) -> dict[Location, dict[str, Any]]:
    """The documents at ``locations``: one ranged GET per object (from its first wanted byte to its
    last), the objects read side by side. A location whose object is gone (expired) is left out."""
    by_object: dict[str, list[Location]] = defaultdict(list)
    for location in set(locations):
        by_object[location.object_key].append(location)
    if not by_object:
        return {}
    found: dict[Location, dict[str, Any]] = {}
    with ThreadPoolExecutor(min(READ_THREADS, len(by_object))) as pool:
        for part in pool.map(_read_object, by_object.values()):
            found.update(part)
    return found


def _read_object(locations: list[Location]) -> dict[Location, dict[str, Any]]:
    start = min(location.offset for location in locations)
    end = max(location.offset + location.length for location in locations)
    object_key = locations[0].object_key
    try:
        answer = s3().get_object(
            Bucket=settings().events_bucket, Key=object_key, Range=f"bytes={start}-{end - 1}"
        )
    except s3().exceptions.NoSuchKey:
        return {}
    body = answer["Body"].read()
    found = {}
    for location in locations:
        member = body[location.offset - start : location.offset - start + location.length]
        found[location] = json.loads(gzip.decompress(member))
    return found
