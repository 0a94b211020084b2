"""sentry-cli's chunk upload: what the server declares (``GET …/chunk-upload/``) and the chunks it
then posts, each stored on S3 under its SHA-1 once that hash is checked.

The limits follow from Lambda, not from Sentry's defaults (8 MiB chunks, 32 MiB requests): a
synchronous invocation takes at most 6 MB, and API Gateway hands a binary body over base64-encoded
(4/3 larger), so a request of four 1 MiB chunks is the most one invocation can take. Chunks are
temporary: the bucket expires them after a day, once their bundle is assembled or abandoned."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from shared.config import settings
from shared.errors import BadRequest
from shared.storage.objects import s3

CHUNK_SIZE = 1024 * 1024
CHUNKS_PER_REQUEST = 4
MAX_REQUEST_SIZE = 4 * 1024 * 1024
MAX_FILE_SIZE = 64 * 1024 * 1024  # one bundle, assembled in memory by one invocation
CONCURRENCY = 8
# Only artifact bundles (sourcemaps upload, with or without --release). sentry-cli 2.x reads this
# list to pick its upload path (without ``debug_files`` it sends debug files to the legacy
# ``files/dsyms/`` endpoint, refused by name); 3.x always uses artifact bundles.
ACCEPT = ["artifact_bundles", "artifact_bundles_v2"]
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


class UploadRefused(BadRequest):
    """400 ``{"error": "..."}``: the body Sentry's chunk-upload and assemble endpoints answer with
    (sentry-cli prints it)."""

    def body(self) -> dict[str, object]:
        return {"error": self.detail}


def upload_options(base_url: str, org_slug: str) -> dict[str, object]:
    """The chunk-upload answer sentry-cli sizes and routes its uploads by."""
    return {
        "url": f"{base_url}/api/0/organizations/{org_slug}/chunk-upload/",
        "chunkSize": CHUNK_SIZE,
        "chunksPerRequest": CHUNKS_PER_REQUEST,
        "maxFileSize": MAX_FILE_SIZE,
        "maxRequestSize": MAX_REQUEST_SIZE,
        "concurrency": CONCURRENCY,
        "hashAlgorithm": "sha1",
        "compression": ["gzip"],
        "accept": ACCEPT,
    }


@dataclass(frozen=True)
class Chunk:
    """One uploaded part: its claimed SHA-1 (the part's filename) and its bytes, decompressed."""

    checksum: str
    data: bytes


def chunk_key(org_id: int, checksum: str) -> str:
    return f"chunks/{org_id}/{checksum}"


def _inflate(data: bytes) -> bytes:
    """Gunzip a ``file_gzip`` part, refusing one that inflates past a chunk (a zip bomb)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, CHUNK_SIZE + 1)
    except zlib.error as error:
        raise UploadRefused(f"Invalid gzip data: {error}") from error
    if len(out) > CHUNK_SIZE:
        raise UploadRefused("Chunk size too large")
    return out


def read_chunks(parts: list[tuple[str, str, bytes]]) -> list[Chunk]:
    """The request's chunks from its multipart parts ``(field, filename, bytes)``: ``file`` parts
    as they are, ``file_gzip`` parts inflated; every limit checked before anything is stored (the
    count and each chunk's size bound the request to ``MAX_REQUEST_SIZE``)."""
    chunks = []
    for field, filename, data in parts:
        if field not in {"file", "file_gzip"}:
            continue
        chunks.append(Chunk(filename.lower(), _inflate(data) if field == "file_gzip" else data))
    if len(chunks) > CHUNKS_PER_REQUEST:
        raise UploadRefused("Too many chunks")
    if any(len(chunk.data) > CHUNK_SIZE for chunk in chunks):
        raise UploadRefused("Chunk size too large")
    for chunk in chunks:
        if not _SHA1.match(chunk.checksum) or hashlib.sha1(chunk.data).hexdigest() != chunk.checksum:
            raise UploadRefused("Checksum mismatch")
    return chunks


def store_chunks(org_id: int, chunks: list[Chunk]) -> None:
    """Put each chunk under its hash (idempotent: the same hash is the same bytes)."""
    bucket = settings().artifacts_bucket
    for chunk in chunks:
        s3().put_object(Bucket=bucket, Key=chunk_key(org_id, chunk.checksum), Body=chunk.data)


def missing_chunks(org_id: int, checksums: list[str]) -> list[str]:
    """The chunks of ``checksums`` not uploaded yet, in order, each named once."""
    bucket = settings().artifacts_bucket
    missing = []
    for checksum in dict.fromkeys(checksums):
        try:
            s3().head_object(Bucket=bucket, Key=chunk_key(org_id, checksum))
        except s3().exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") not in {"404", "NoSuchKey", "NotFound"}:
                raise
            missing.append(checksum)
    return missing


def read_chunk(org_id: int, checksum: str) -> bytes:
    body = s3().get_object(Bucket=settings().artifacts_bucket, Key=chunk_key(org_id, checksum))["Body"]
    return body.read()
