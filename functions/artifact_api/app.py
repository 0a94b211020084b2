"""sentry-cli's source-map uploads: the chunk-upload options, the chunks, and the artifact-bundle
assemble calls (``sentry-cli sourcemaps upload``); debug information files are refused by name."""

from __future__ import annotations

import base64
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from shared.artifacts.bundles import assemble
from shared.artifacts.chunks import UploadRefused, read_chunks, store_chunks, upload_options
from shared.artifacts.listing import project_bundles, serialize_bundle
from shared.auth.scopes import RELEASE_READ, RELEASE_WRITE
from shared.http.errors import json_response
from shared.http.handler import lambda_handler
from shared.http.offset_pagination import paginate_offset
from shared.http.request import org_access, query_value
from shared.http.resolver import APIGatewayHttpResolver
from shared.public_url import public_url

app = APIGatewayHttpResolver()
# What sentry-cli prints (``sentry reported an error: <detail>``) for an upload kind we do not keep.
DEBUG_FILES_REFUSED = (
    "Debug information files (dSYM, PDB, ELF, ProGuard) are not supported by this server; "
    "only JavaScript source maps are (sentry-cli sourcemaps upload)."
)


def _body_bytes() -> bytes:
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")


def _parts() -> list[tuple[str, str, bytes]]:
    """The multipart form's parts as ``(field, filename, bytes)``."""
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    content_type = headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        return []
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + _body_bytes()
    )
    if not message.is_multipart():
        raise UploadRefused("Invalid multipart body")
    parts = []
    for part in message.iter_parts():
        field = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        if isinstance(field, str) and isinstance(data, bytes):
            parts.append((field, part.get_filename() or "", data))
    return parts


@app.get("/api/0/organizations/<org>/chunk-upload")
def get_chunk_upload(org: str) -> Any:
    access = org_access(app, org)
    access.require(RELEASE_READ)
    return json_response(200, upload_options(public_url(), access.organization.slug))


@app.post("/api/0/organizations/<org>/chunk-upload")
def post_chunks(org: str) -> Any:
    access = org_access(app, org)
    access.require(RELEASE_WRITE)
    chunks = read_chunks(_parts())
    store_chunks(access.organization.id, chunks)
    return json_response(200, {})


@app.post("/api/0/organizations/<org>/artifactbundle/assemble")
def post_assemble(org: str) -> Any:
    access = org_access(app, org)
    try:
        body = app.current_event.json_body
    except ValueError:
        raise UploadRefused("Invalid json body") from None
    return json_response(200, assemble(access, body))


@app.get("/api/0/projects/<org>/<project>/files/artifact-bundles")
def get_artifact_bundles(org: str, project: str) -> Any:
    access = org_access(app, org)
    bundles = project_bundles(access, project, query_value(app, "query"))
    return paginate_offset(app, bundles, lambda page: [serialize_bundle(b) for b in page])


@app.post("/api/0/projects/<org>/<project>/files/difs/assemble")
def post_difs_assemble(org: str, project: str) -> Any:
    """sentry-cli 3.x's debug-files upload (chunked): refused by name, to a caller who may upload."""
    org_access(app, org).require(RELEASE_WRITE)
    return json_response(400, {"detail": DEBUG_FILES_REFUSED})


@app.post("/api/0/projects/<org>/<project>/files/dsyms")
def post_dsyms(org: str, project: str) -> Any:
    """sentry-cli 2.x's debug-files upload when chunk upload does not accept them: refused alike."""
    org_access(app, org).require(RELEASE_WRITE)
    return json_response(400, {"detail": DEBUG_FILES_REFUSED})


handler = lambda_handler(app)
