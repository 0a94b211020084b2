"""Artifact bundles: sentry-cli's ``artifactbundle/assemble`` — the zip of a ``sourcemaps upload``,
put together from its uploaded chunks, checked, stored on S3 once per checksum, and indexed by the
debug ids and (with ``--release``) the URLs of its files (``shared.storage.artifacts``).

Assembly runs inside the assemble request (a bundle is at most ``MAX_FILE_SIZE``): the first call
that finds every chunk claims the checksum (``assembling``, a lease, so a concurrent poll answers
that state) and answers ``ok`` or ``error`` with its detail, which later polls read back. The S3
object is written before the index items and the ``ok`` state after them, so a bundle is never
served half-indexed: a failure leaves the claim to expire and the next poll assembles again."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from shared.artifacts.chunks import CHUNK_SIZE, MAX_FILE_SIZE, UploadRefused, missing_chunks, read_chunk
from shared.auth.access import OrgAccess
from shared.auth.scopes import RELEASE_WRITE
from shared.config import settings
from shared.releases.access import organization_projects
from shared.storage.artifacts import (
    ArtifactBundle,
    ReleaseBundle,
    SourceFileIndex,
    bundles_pk,
    debug_id_pk,
    release_bundles_pk,
    url_pk,
)
from shared.storage.base import BATCH_WRITE_LIMIT, chunked, condition_failed
from shared.storage.objects import s3

MAX_FILES = 10_000  # entries of one bundle's manifest
MAX_KEY_TEXT = 900  # a URL longer than this is not indexed (DynamoDB's sort key holds 1 KB)
LEASE_SECONDS = 120  # an ``assembling`` claim; also how long an ``error`` answer is kept
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_FIELDS = {"checksum", "chunks", "projects", "version", "dist"}
_DEBUG_ID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class AssembleRequest:
    checksum: str
    chunks: list[str]
    projects: list[str]
    version: str | None
    dist: str | None


def parse_request(body: Any) -> AssembleRequest:
    """Sentry's schema of the assemble body, with its messages (400 ``{"error": ...}``)."""
    if not isinstance(body, dict):
        raise UploadRefused("Invalid json body")
    for name in ("checksum", "chunks", "projects"):
        if name not in body:
            raise UploadRefused(f"'{name}' is a required property")
    extra = sorted(set(body) - _FIELDS)
    if extra:
        raise UploadRefused(f"Additional properties are not allowed ('{extra[0]}' was unexpected)")
    checksum, chunks, projects = body["checksum"], body["chunks"], body["projects"]
    if not isinstance(checksum, str) or not _SHA1.match(checksum):
        raise UploadRefused(f"{json.dumps(checksum)} does not match '^[0-9a-f]{{40}}$'")
    if not isinstance(chunks, list) or not all(isinstance(c, str) and _SHA1.match(c) for c in chunks):
        raise UploadRefused("chunks must be a list of SHA-1 hex digests")
    if len(chunks) > MAX_FILE_SIZE // CHUNK_SIZE:
        raise UploadRefused("File exceeds maximum size")
    if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
        raise UploadRefused("projects must be a list of strings")
    if not projects:
        raise UploadRefused("You need to specify at least one project")
    version, dist = body.get("version"), body.get("dist")
    if version is not None and (not isinstance(version, str) or not version or "/" in version):
        raise UploadRefused('The version field cannot be empty and cannot contain any "/" characters.')
    if dist is not None and not isinstance(dist, str):
        raise UploadRefused(f"{json.dumps(dist)} is not of type 'string'")
    return AssembleRequest(checksum, chunks, projects, version, dist or None)


def _answer(state: str, missing: list[str] | None = None, detail: str | None = None) -> dict[str, Any]:
    return {"state": state, "missingChunks": missing or [], "detail": detail}


def assemble(access: OrgAccess, body: Any) -> dict[str, Any]:
    """One assemble call: missing chunks named, else the bundle's state (assembling it if new)."""
    access.require(RELEASE_WRITE)
    request = parse_request(body)
    org_id = access.organization.id
    visible = access.visible(organization_projects(access))
    by_name = {p.slug: p for p in visible} | {str(p.id): p for p in visible}
    chosen = {by_name[name].id for name in request.projects if name in by_name}
    if len(chosen) != len(set(request.projects)):
        raise UploadRefused("One or more projects are invalid")
    missing = missing_chunks(org_id, request.chunks)
    if missing:
        return _answer("not_found", missing)
    project_ids = sorted(int(p) for p in chosen)
    known = _known_state(org_id, request.checksum)
    if known is not None:
        answer, stored = known
        if stored is not None:
            _index_for_more_projects(org_id, stored, project_ids)
        return answer
    if not request.chunks:
        return _answer("not_found")
    if not _claim(org_id, request.checksum):
        again = _known_state(org_id, request.checksum)
        return again[0] if again is not None else _answer("assembling")
    try:
        bundle = _build(org_id, request)
    except BundleInvalid as error:
        _finish(org_id, request.checksum, "error", str(error))
        return _answer("error", detail=str(error))
    _store(org_id, request, project_ids, bundle)
    return _answer("ok")


def _known_state(org_id: int, checksum: str) -> tuple[dict[str, Any], ArtifactBundle | None] | None:
    """The answer a bundle already has: ok (with its stored item), error (kept for a lease), or
    assembling (its lease)."""
    try:
        item = ArtifactBundle.get(*ArtifactBundle.key(org_id, checksum), consistent_read=True)
    except ArtifactBundle.DoesNotExist:
        return None
    if item.state == "ok" and not _expired(item):
        return _answer("ok"), item
    if (item.lease_until or 0) > time.time():
        return _answer(item.state, detail=item.detail), None
    return None


def _index_for_more_projects(org_id: int, bundle: ArtifactBundle, project_ids: list[int]) -> None:
    """A stored bundle uploaded again for projects it is not indexed for (the bytes are the
    organization's once, by checksum): its files are indexed for those projects too, read back
    from its stored manifest, under its own release and expiry, then the projects join its item
    (an atomic ADD, so concurrent uploads for different projects all count)."""
    indexed = {int(p) for p in bundle.project_ids or ()}
    more = [p for p in project_ids if p not in indexed]
    if not more:
        return
    files = _stored_files(org_id, bundle.checksum)
    if not files:
        return  # past its retention: nothing left to index
    request = AssembleRequest(bundle.checksum, [], [], bundle.release, bundle.dist)
    _write(_index_items(org_id, request, more, files, bundle.expires_at))
    bundle.update(actions=[ArtifactBundle.project_ids.add(set(more))])


def _expired(item: ArtifactBundle) -> bool:
    """Past its retention: its object is gone (or going), so an upload of it assembles anew."""
    return item.expires_at is not None and item.expires_at < time.time()


def _claim(org_id: int, checksum: str) -> bool:
    """Take the checksum's assembly (new, or a stale claim or error); False if someone holds it."""
    now = int(time.time())
    item = ArtifactBundle(
        *ArtifactBundle.key(org_id, checksum),
        org_id=org_id,
        checksum=checksum,
        state="assembling",
        lease_until=now + LEASE_SECONDS,
    )
    condition = (
        ArtifactBundle.pk.does_not_exist()
        | ((ArtifactBundle.state != "ok") & (ArtifactBundle.lease_until < now))
        | (ArtifactBundle.expires_at < now)
    )
    try:
        item.save(condition=condition)
    except PutError as error:
        if condition_failed(error):
            return False
        raise
    return True


def _finish(org_id: int, checksum: str, state: str, detail: str | None) -> None:
    ArtifactBundle(
        *ArtifactBundle.key(org_id, checksum),
        org_id=org_id,
        checksum=checksum,
        state=state,
        detail=detail,
        lease_until=int(time.time()) + LEASE_SECONDS,
    ).save()


class BundleInvalid(Exception):
    """What makes an uploaded bundle unusable, in the words the assemble answer gives."""


@dataclass(frozen=True)
class BundleFile:
    path: str
    url: str | None
    file_type: str
    debug_id: str | None
    sourcemap: str | None


@dataclass(frozen=True)
class Bundle:
    data: bytes
    files: list[BundleFile]


def _build(org_id: int, request: AssembleRequest) -> Bundle:
    """The bundle's bytes from its chunks, checked: checksum, size, zip, manifest."""
    parts = []
    size = 0
    for checksum in request.chunks:
        part = read_chunk(org_id, checksum)
        size += len(part)
        if size > MAX_FILE_SIZE:
            raise BundleInvalid("File exceeds maximum size")
        parts.append(part)
    data = b"".join(parts)
    if hashlib.sha1(data).hexdigest() != request.checksum:
        raise BundleInvalid("Reported checksum mismatch")
    return Bundle(data, read_manifest(data))


def read_manifest(data: bytes) -> list[BundleFile]:
    """The files a bundle's ``manifest.json`` lists (sentry-cli's source-bundle format), each
    present in the zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError as error:
        raise BundleInvalid("Invalid bundle: it has no manifest.json") from error
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise BundleInvalid(f"Invalid bundle: {error}") from error
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        raise BundleInvalid("Invalid bundle: its manifest lists no files")
    if len(entries) > MAX_FILES:
        raise BundleInvalid(f"Invalid bundle: more than {MAX_FILES} files")
    files = []
    for path, entry in entries.items():
        if path not in names or not isinstance(entry, dict):
            raise BundleInvalid(f"Invalid bundle: {path} is listed but missing")
        headers = {str(k).lower(): v for k, v in (entry.get("headers") or {}).items()}
        debug_id = headers.get("debug-id")
        files.append(
            BundleFile(
                path=path,
                url=entry.get("url") if isinstance(entry.get("url"), str) else None,
                file_type=str(entry.get("type") or "source"),
                debug_id=debug_id.lower()
                if isinstance(debug_id, str) and _DEBUG_ID.match(debug_id)
                else None,
                sourcemap=headers.get("sourcemap") if isinstance(headers.get("sourcemap"), str) else None,
            )
        )
    return files


def _is_debug_id(value: Any) -> bool:
    return isinstance(value, str) and _DEBUG_ID.match(value) is not None


def bundle_key(org_id: int, checksum: str) -> str:
    return f"bundles/{org_id}/{checksum}.zip"


def _expires_at() -> int:
    return int(time.time()) + settings().artifact_retention_days * 86400


def _index_items(
    org_id: int,
    request: AssembleRequest,
    project_ids: list[int],
    files: list[BundleFile],
    expires: int | None = None,
) -> list[Any]:
    """The lookup items of a bundle's files: each source map by debug id, each file by URL (with a
    release), for every project the upload named; they expire with the bundle."""
    expires = expires or _expires_at()
    items = []
    for project_id in project_ids:
        for file in files:
            common = {
                "checksum": request.checksum,
                "path": file.path,
                "file_type": file.file_type,
                "sourcemap": file.sourcemap,
                "debug_id": file.debug_id,
                "expires_at": expires,
            }
            if file.debug_id and file.file_type in {"source_map", "minified_source"}:
                pk = debug_id_pk(project_id, file.debug_id)
                items.append(SourceFileIndex(pk, file.file_type, **common))
            if request.version and file.url and len(file.url) <= MAX_KEY_TEXT:
                pk = url_pk(project_id, request.version, request.dist)
                items.append(SourceFileIndex(pk, f"URL#{file.url}", **common))
    return items


def _store(org_id: int, request: AssembleRequest, project_ids: list[int], bundle: Bundle) -> None:
    """S3 object, then index items and the release link, then the ``ok`` state."""
    s3().put_object(
        Bucket=settings().artifacts_bucket, Key=bundle_key(org_id, request.checksum), Body=bundle.data
    )
    items = _index_items(org_id, request, project_ids, bundle.files)
    expires = _expires_at()
    if request.version:
        items.append(
            ReleaseBundle(
                *ReleaseBundle.key(org_id, request.version, request.checksum),
                checksum=request.checksum,
                dist=request.dist,
                file_count=len(bundle.files),
                expires_at=expires,
            )
        )
    _write(items)
    ArtifactBundle(
        *ArtifactBundle.key(org_id, request.checksum),
        org_id=org_id,
        checksum=request.checksum,
        state="ok",
        object_key=bundle_key(org_id, request.checksum),
        size=len(bundle.data),
        release=request.version,
        dist=request.dist,
        project_ids=set(project_ids),
        file_count=len(bundle.files),
        expires_at=expires,
    ).save()


def _write(items: list[Any]) -> None:
    for batch_items in chunked(items, BATCH_WRITE_LIMIT):
        with SourceFileIndex.batch_write() as batch:
            for item in batch_items:
                batch.save(item)


def _indexed_items(org_id: int, version: str, dist: str | None, bundle: ArtifactBundle) -> list[Any]:
    """The index items a stored bundle wrote (read back from its manifest); none once its object
    has expired, when its items carry the same expiry."""
    request = AssembleRequest(bundle.checksum, [], [], version, dist)
    project_ids = sorted(int(p) for p in bundle.project_ids or ())
    return _index_items(org_id, request, project_ids, _stored_files(org_id, bundle.checksum))


def _stored_files(org_id: int, checksum: str) -> list[BundleFile]:
    """The files of a stored bundle, from its manifest; none once its object has expired."""
    try:
        body = s3().get_object(Bucket=settings().artifacts_bucket, Key=bundle_key(org_id, checksum))["Body"]
    except s3().exceptions.NoSuchKey:
        return []
    return read_manifest(body.read())


def delete_release_bundles(org_id: int, version: str) -> int:
    """Delete the bundles uploaded for a release — their index items, S3 objects and state — as
    the release itself is deleted; returns how many. An index item by debug id goes only while it
    still names this bundle (the same injected files may have been uploaded again since); the
    release's link goes last, so an interrupted deletion leaves nothing unreachable but objects
    the retention removes."""
    links = list(ReleaseBundle.query(release_bundles_pk(org_id, version)))
    bucket = settings().artifacts_bucket
    for link in links:
        try:
            bundle = ArtifactBundle.get(*ArtifactBundle.key(org_id, link.checksum), consistent_read=True)
        except ArtifactBundle.DoesNotExist:
            bundle = None
        doomed: list[Any] = []
        if bundle is not None:
            indexed = _indexed_items(org_id, version, link.dist, bundle)
            by_debug_id = [item for item in indexed if not item.sk.startswith("URL#")]
            doomed += [item for item in indexed if item.sk.startswith("URL#")]
            for item in by_debug_id:
                _delete_if_naming(item, link.checksum)
            doomed.append(bundle)
        for batch_items in chunked(doomed, BATCH_WRITE_LIMIT):
            with SourceFileIndex.batch_write() as batch:
                for item in batch_items:
                    batch.delete(item)
        s3().delete_object(Bucket=bucket, Key=bundle_key(org_id, link.checksum))
        link.delete()
    return len(links)


def _delete_if_naming(item: SourceFileIndex, checksum: str) -> None:
    try:
        item.delete(condition=SourceFileIndex.checksum == checksum)
    except DeleteError as error:
        if not condition_failed(error):
            raise


def delete_project_bundles(org_id: int, project_id: int) -> int:
    """Take a deleted project out of the organization's bundles: its index items go (read back
    from each bundle's manifest), the project leaves the bundle's projects, and a bundle no other
    project uses goes whole (object, state, its release's link); returns how many bundles the
    project had. Idempotent: a rerun finds only what is left."""
    bundles = [
        bundle
        for bundle in ArtifactBundle.query(bundles_pk(org_id), ArtifactBundle.sk.startswith("BUNDLE#"))
        if project_id in {int(p) for p in bundle.project_ids or ()}
    ]
    for bundle in bundles:
        files = _stored_files(org_id, bundle.checksum)  # none past its retention: its items expire too
        request = AssembleRequest(bundle.checksum, [], [], bundle.release, bundle.dist)
        for item in _index_items(org_id, request, [project_id], files):
            _delete_if_naming(item, bundle.checksum)
        _leave(org_id, bundle, project_id)
    return len(bundles)


def _leave(org_id: int, bundle: ArtifactBundle, project_id: int) -> None:
    """The project leaves the bundle; the last one out deletes it, unless an upload for another
    project joined meanwhile (the delete's condition)."""
    try:
        bundle.update(
            actions=[ArtifactBundle.project_ids.delete({project_id})], condition=ArtifactBundle.pk.exists()
        )
    except UpdateError as error:
        if condition_failed(error):
            return  # deleted meanwhile (its release went)
        raise
    if bundle.project_ids:
        return
    try:
        bundle.delete(condition=ArtifactBundle.project_ids.does_not_exist())
    except DeleteError as error:
        if condition_failed(error):
            return
        raise
    s3().delete_object(Bucket=settings().artifacts_bucket, Key=bundle_key(org_id, bundle.checksum))
    if bundle.release:
        ReleaseBundle(*ReleaseBundle.key(org_id, bundle.release, bundle.checksum)).delete()
