"""sentry-cli's upload protocol through the local API with bad input: Sentry's answers, bounded
sizes, and nothing stored half-way."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile

import pytest
import requests

from shared.artifacts.bundles import bundle_key
from shared.artifacts.chunks import CHUNK_SIZE, CHUNKS_PER_REQUEST, chunk_key
from shared.config import settings
from shared.storage.accounts import Organization, Project
from shared.storage.artifacts import ArtifactBundle, ReleaseBundle, bundles_pk, release_bundles_pk
from shared.storage.objects import s3
from tests.conftest import World


def _org_id(world: World) -> int:
    from shared.accounts.organizations import find_organization

    organization: Organization = find_organization(world.org)
    return organization.id


def _exists(key: str) -> bool:
    try:
        s3().head_object(Bucket=settings().artifacts_bucket, Key=key)
    except s3().exceptions.ClientError:
        return False
    return True


def _post_chunks(base_url: str, world: World, parts: list[tuple[str, str, bytes]]) -> requests.Response:
    files = [(field, (name, data, "application/octet-stream")) for field, name, data in parts]
    return requests.post(
        f"{base_url}/api/0/organizations/{world.org}/chunk-upload/", files=files, headers=world.headers()
    )


def _assemble(base_url: str, world: World, body: dict) -> requests.Response:
    return requests.post(
        f"{base_url}/api/0/organizations/{world.org}/artifactbundle/assemble/",
        json=body,
        headers=world.headers(),
    )


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def test_chunk_upload_options_name_only_artifact_bundles(base_url: str, world: World) -> None:
    response = requests.get(
        f"{base_url}/api/0/organizations/{world.org}/chunk-upload/", headers=world.headers()
    )
    assert response.status_code == 200, response.text
    options = response.json()
    assert options["url"] == f"{base_url}/api/0/organizations/{world.org}/chunk-upload/"
    assert options["hashAlgorithm"] == "sha1" and options["compression"] == ["gzip"]
    assert "artifact_bundles" in options["accept"] and "debug_files" not in options["accept"]
    assert options["chunkSize"] * options["chunksPerRequest"] <= options["maxRequestSize"]


def test_a_chunk_whose_hash_does_not_match_is_refused_and_not_stored(base_url: str, world: World) -> None:
    good, bad = b"first chunk", b"second chunk"
    response = _post_chunks(
        base_url, world, [("file", _sha1(good), good), ("file_gzip", _sha1(b"x"), gzip.compress(bad))]
    )
    assert response.status_code == 400
    assert response.json() == {"error": "Checksum mismatch"}
    assert not _exists(chunk_key(_org_id(world), _sha1(good)))


def test_chunk_counts_and_sizes_are_bounded_as_declared(base_url: str, world: World) -> None:
    many = [("file", _sha1(bytes([i])), bytes([i])) for i in range(CHUNKS_PER_REQUEST + 1)]
    response = _post_chunks(base_url, world, many)
    assert (response.status_code, response.json()) == (400, {"error": "Too many chunks"})
    big = b"a" * (CHUNK_SIZE + 1)  # compresses to a few KB: the inflated size is what counts
    response = _post_chunks(base_url, world, [("file_gzip", _sha1(big), gzip.compress(big))])
    assert (response.status_code, response.json()) == (400, {"error": "Chunk size too large"})


def test_assemble_names_the_chunks_it_lacks(base_url: str, world: World) -> None:
    data = b"a bundle never uploaded"
    body = {"checksum": _sha1(data), "chunks": [_sha1(data)], "projects": [world.project]}
    response = _assemble(base_url, world, body)
    assert response.status_code == 200
    assert response.json()["state"] == "not_found"
    assert response.json()["missingChunks"] == [_sha1(data)]


def test_assemble_refuses_unknown_projects_and_bad_bodies(base_url: str, world: World) -> None:
    checksum = _sha1(b"x")
    response = _assemble(base_url, world, {"checksum": checksum, "chunks": [], "projects": ["nope"]})
    assert (response.status_code, response.json()) == (400, {"error": "One or more projects are invalid"})
    response = _assemble(base_url, world, {"checksum": checksum, "chunks": []})
    assert (response.status_code, response.json()) == (400, {"error": "'projects' is a required property"})
    options = requests.get(
        f"{base_url}/api/0/organizations/{world.org}/chunk-upload/", headers=world.headers()
    ).json()
    over = options["maxFileSize"] // options["chunkSize"] + 1  # chunks of a file past the declared maximum
    too_many = [_sha1(i.to_bytes(2, "big")) for i in range(over)]
    response = _assemble(
        base_url, world, {"checksum": checksum, "chunks": too_many, "projects": [world.project]}
    )
    assert (response.status_code, response.json()) == (400, {"error": "File exceeds maximum size"})
    response = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/artifactbundle/assemble/",
        data=b"{not json",
        headers={**world.headers(), "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (400, {"error": "Invalid json body"})
    body = {"checksum": checksum, "chunks": [], "projects": [world.project], "version": "a/b"}
    response = _assemble(base_url, world, body)
    assert response.status_code == 400
    assert response.json() == {
        "error": 'The version field cannot be empty and cannot contain any "/" characters.'
    }


def small_bundle(url: str) -> bytes:
    """A bundle of one minified file served at ``url``."""
    buffer = io.BytesIO()
    manifest = {"files": {"a.js": {"url": url, "type": "minified_source", "headers": {}}}}
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("a.js", "function a(){}")
    return buffer.getvalue()


def upload_bundle(base_url: str, world: World, data: bytes) -> str:
    """Upload ``data`` as a bundle of release 1.0, as sentry-cli does; its checksum."""
    assert _upload(base_url, world, data)["state"] == "ok"
    return _sha1(data)


def _upload(base_url: str, world: World, data: bytes) -> dict:
    response = _post_chunks(base_url, world, [("file_gzip", _sha1(data), gzip.compress(data))])
    assert response.status_code == 200, response.text
    body = {"checksum": _sha1(data), "chunks": [_sha1(data)], "projects": [world.project], "version": "1.0"}
    response = _assemble(base_url, world, body)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_corrupt_zip_is_an_error_state_and_nothing_is_stored(base_url: str, world: World) -> None:
    data = b"PK\x03\x04 this is not really a zip file"
    answer = _upload(base_url, world, data)
    assert answer["state"] == "error"
    assert answer["detail"].startswith("Invalid bundle")
    assert not _exists(bundle_key(_org_id(world), _sha1(data)))
    again = _assemble(
        base_url, world, {"checksum": _sha1(data), "chunks": [_sha1(data)], "projects": [world.project]}
    )
    assert again.json()["state"] == "error"  # the answer sentry-cli polls for stays


def test_a_bundle_without_a_manifest_is_refused(base_url: str, world: World) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("files/app.js", "console.log(1)")
    answer = _upload(base_url, world, buffer.getvalue())
    assert (answer["state"], answer["detail"]) == ("error", "Invalid bundle: it has no manifest.json")


def test_a_valid_bundle_is_stored_once_and_indexed(base_url: str, world: World) -> None:
    buffer = io.BytesIO()
    manifest = {
        "files": {
            "_/_/app.js.map": {
                "url": "~/app.js.map",
                "type": "source_map",
                "headers": {"debug-id": "5e3c9f1a-6f0e-4f6b-9a61-2b1d2a3c4d5e"},
            }
        }
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("_/_/app.js.map", "this map is corrupt")  # accepted, as Sentry does
    data = buffer.getvalue()
    assert _upload(base_url, world, data)["state"] == "ok"
    assert _exists(bundle_key(_org_id(world), _sha1(data)))
    assert _upload(base_url, world, data)["state"] == "ok"


def test_a_corrupt_map_and_a_missing_map_are_event_errors(
    base_url: str, world: World, project: Project
) -> None:
    from shared.artifacts.symbolication import symbolicate

    debug_id = "7a1c2e3f-0b4d-4e5f-8a9b-0c1d2e3f4a5b"
    buffer = io.BytesIO()
    manifest = {
        "files": {"m.map": {"url": "~/m.js.map", "type": "source_map", "headers": {"debug-id": debug_id}}}
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("m.map", "{not json")
    assert _upload(base_url, world, buffer.getvalue())["state"] == "ok"
    frame = {"abs_path": "/srv/m.js", "filename": "/srv/m.js", "lineno": 1, "colno": 10, "function": "t"}
    other = {
        "abs_path": "/srv/other.js",
        "filename": "/srv/other.js",
        "lineno": 1,
        "colno": 5,
        "function": "x",
    }
    payload = {
        "platform": "node",
        "release": "9.9",  # names a release no map was uploaded for
        "exception": {"values": [{"type": "Error", "stacktrace": {"frames": [other, frame]}}]},
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/srv/m.js", "debug_id": debug_id}]},
    }
    result = symbolicate(payload, project.id, _org_id(world))
    kinds = {error["type"]: error for error in result["errors"]}
    assert kinds["js_invalid_source"]["url"].startswith(f"debug-id://{debug_id}")
    assert kinds["js_no_source"]["url"] == "/srv/other.js"
    assert result["exception"]["values"][0]["stacktrace"]["frames"] == [other, frame]  # kept minified


def test_deleting_a_release_deletes_its_bundles(base_url: str, world: World) -> None:
    created = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/releases/",
        json={"version": "1.0", "projects": [world.project]},
        headers=world.headers(),
    )
    assert created.status_code in (201, 208), created.text
    data = small_bundle("~/a.js")
    upload_bundle(base_url, world, data)  # for release 1.0
    key = bundle_key(_org_id(world), _sha1(data))
    assert _exists(key)
    listing = f"{base_url}/api/0/projects/{world.org}/{world.project}/files/artifact-bundles/"
    listed = requests.get(listing, params={"query": "1.0"}, headers=world.headers())
    assert listed.status_code == 200, listed.text
    [bundle] = listed.json()
    assert bundle["bundleId"] == _sha1(data) and bundle["fileCount"] == 1
    assert bundle["associations"] == [{"release": "1.0", "dist": None}]
    assert requests.get(listing, params={"query": "2.0"}, headers=world.headers()).json() == []
    deleted = requests.delete(
        f"{base_url}/api/0/organizations/{world.org}/releases/1.0/", headers=world.headers()
    )
    assert deleted.status_code == 204, deleted.text
    assert not _exists(key)
    assert requests.get(listing, headers=world.headers()).json() == []
    assert (
        list(ArtifactBundle.query(bundles_pk(_org_id(world)), ArtifactBundle.sk == f"BUNDLE#{_sha1(data)}"))
        == []
    )
    assert list(ReleaseBundle.query(release_bundles_pk(_org_id(world), "1.0"))) == []


def test_deleting_a_release_keeps_a_debug_id_uploaded_again_since(
    base_url: str, world: World, project: Project
) -> None:
    from shared.storage.artifacts import SourceFileIndex, debug_id_pk

    debug_id = "0d6c2a10-9c4e-4c4f-a0b1-3f2e1d0c9b8a"
    releases = f"{base_url}/api/0/organizations/{world.org}/releases/"
    for version in ("1.0", "2.0"):
        created = requests.post(
            releases, json={"version": version, "projects": [world.project]}, headers=world.headers()
        )
        assert created.status_code == 201, created.text
    bundles = {}
    for version in ("1.0", "2.0"):
        buffer = io.BytesIO()
        manifest = {
            "release": version,
            "files": {
                "m.map": {"url": "~/m.js.map", "type": "source_map", "headers": {"debug-id": debug_id}}
            },
        }
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("manifest.json", json.dumps(manifest))
            archive.writestr("m.map", '{"version":3,"sources":[],"names":[],"mappings":""}')
        data = buffer.getvalue()
        _post_chunks(base_url, world, [("file", _sha1(data), data)])
        body = {
            "checksum": _sha1(data),
            "chunks": [_sha1(data)],
            "projects": [world.project],
            "version": version,
        }
        assert _assemble(base_url, world, body).json()["state"] == "ok"
        bundles[version] = _sha1(data)

    assert requests.delete(f"{releases}1.0/", headers=world.headers()).status_code == 204
    item = SourceFileIndex.get(debug_id_pk(project.id, debug_id), "source_map")
    assert item.checksum == bundles["2.0"]  # the newer upload still answers the debug id
    assert requests.delete(f"{releases}2.0/", headers=world.headers()).status_code == 204
    assert SourceFileIndex.count(debug_id_pk(project.id, debug_id)) == 0


def test_a_map_without_sources_content_resolves_without_context(
    base_url: str, world: World, project: Project
) -> None:
    from shared.artifacts.symbolication import symbolicate

    debug_id = "1f2e3d4c-5b6a-4789-8a7b-6c5d4e3f2a1b"
    buffer = io.BytesIO()
    manifest = {
        "files": {"n.map": {"url": "~/n.js.map", "type": "source_map", "headers": {"debug-id": debug_id}}}
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(
            "n.map", json.dumps({"version": 3, "sources": ["src/n.ts"], "names": [], "mappings": "AAAA"})
        )
    assert _upload(base_url, world, buffer.getvalue())["state"] == "ok"
    frame = {"abs_path": "/srv/n.js", "lineno": 1, "colno": 1, "function": "a", "context_line": "minified"}
    payload = {
        "platform": "javascript",
        "exception": {"values": [{"type": "Error", "stacktrace": {"frames": [frame]}}]},
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/srv/n.js", "debug_id": debug_id}]},
    }
    result = symbolicate(payload, project.id, _org_id(world))
    [value] = result["exception"]["values"]
    [resolved] = value["stacktrace"]["frames"]
    assert (resolved["abs_path"], resolved["lineno"], resolved["colno"]) == ("/srv/src/n.ts", 1, 1)
    assert "context_line" not in resolved  # the minified line is not the original's
    assert value["raw_stacktrace"]["frames"] == [frame]
    assert result["errors"] == [
        {
            "type": "js_missing_sources_content",
            "source": "/srv/src/n.ts",
            "sourcemap": f"debug-id://{debug_id}//srv/n.js",
        }
    ]


def test_a_bad_map_found_by_release_and_url_is_the_only_error(
    base_url: str, world: World, project: Project
) -> None:
    from shared.artifacts.symbolication import symbolicate

    buffer = io.BytesIO()
    manifest = {
        "files": {
            "r.js": {"url": "~/static/r.js", "type": "minified_source", "headers": {"sourcemap": "r.js.map"}},
            "r.js.map": {"url": "~/static/r.js.map", "type": "source_map", "headers": {}},
        }
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("r.js", "function r(){throw new Error}")
        archive.writestr("r.js.map", "[]")
    data = buffer.getvalue()
    _post_chunks(base_url, world, [("file", _sha1(data), data)])
    body = {"checksum": _sha1(data), "chunks": [_sha1(data)], "projects": [world.project], "version": "3.0"}
    assert _assemble(base_url, world, body).json()["state"] == "ok"
    frame = {"abs_path": "https://shop.example.com/static/r.js?v=3", "lineno": 1, "colno": 14}
    payload = {
        "platform": "javascript",
        "release": "3.0",
        "exception": {"values": [{"type": "Error", "stacktrace": {"frames": [frame]}}]},
    }
    result = symbolicate(payload, project.id, _org_id(world))
    assert [(e["type"], e["url"]) for e in result["errors"]] == [("js_invalid_source", "~/static/r.js.map")]
    assert result["exception"]["values"][0]["stacktrace"]["frames"] == [frame]


CHECKSUM = "a" * 40


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"checksum": CHECKSUM, "chunks": [], "projects": ["p"], "extra": 1},
            "Additional properties are not allowed ('extra' was unexpected)",
        ),
        ({"checksum": "XYZ", "chunks": [], "projects": ["p"]}, "\"XYZ\" does not match '^[0-9a-f]{40}$'"),
        (
            {"checksum": CHECKSUM, "chunks": ["nope"], "projects": ["p"]},
            "chunks must be a list of SHA-1 hex digests",
        ),
        ({"checksum": CHECKSUM, "chunks": [], "projects": [1]}, "projects must be a list of strings"),
        ({"checksum": CHECKSUM, "chunks": [], "projects": []}, "You need to specify at least one project"),
        ({"checksum": CHECKSUM, "chunks": [], "projects": ["p"], "dist": 7}, "7 is not of type 'string'"),
    ],
)
def test_assemble_answers_sentrys_schema_messages(
    base_url: str, world: World, body: dict, error: str
) -> None:
    response = _assemble(base_url, world, body)
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_a_gzip_chunk_that_does_not_inflate_and_a_broken_multipart_body_are_refused(
    base_url: str, world: World
) -> None:
    response = _post_chunks(base_url, world, [("file_gzip", _sha1(b"x"), b"not gzip at all")])
    assert response.status_code == 400
    assert response.json()["error"].startswith("Invalid gzip data: ")
    broken = requests.post(
        f"{base_url}/api/0/organizations/{world.org}/chunk-upload/",
        data=b"no parts here",
        headers={**world.headers(), "Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert (broken.status_code, broken.json()) == (400, {"error": "Invalid multipart body"})


def test_debug_files_are_refused_by_name(base_url: str, world: World) -> None:
    for path in ("files/difs/assemble/", "files/dsyms/"):
        response = requests.post(
            f"{base_url}/api/0/projects/{world.org}/{world.project}/{path}", json={}, headers=world.headers()
        )
        assert (response.status_code, response.json()) == (
            400,
            {
                "detail": "Debug information files (dSYM, PDB, ELF, ProGuard) are not supported by this "
                "server; only JavaScript source maps are (sentry-cli sourcemaps upload)."
            },
        )


def test_a_broken_inline_map_is_the_frames_one_error(base_url: str, world: World, project: Project) -> None:
    from shared.artifacts.symbolication import symbolicate

    debug_id = "4b2d6e1f-3a5c-4e7d-9f0a-1b2c3d4e5f60"
    buffer = io.BytesIO()
    manifest = {
        "files": {"i.js": {"url": "~/i.js", "type": "minified_source", "headers": {"debug-id": debug_id}}}
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(
            "i.js", "throw 1;\n//# sourceMappingURL=data:application/json;base64,%%%not-base64\n"
        )
    assert _upload(base_url, world, buffer.getvalue())["state"] == "ok"
    frame = {"abs_path": "/srv/i.js", "filename": "/srv/i.js", "lineno": 1, "colno": 1, "function": "t"}
    payload = {
        "platform": "node",
        "exception": {"values": [{"type": "Error", "stacktrace": {"frames": [frame]}}]},
        "debug_meta": {"images": [{"type": "sourcemap", "code_file": "/srv/i.js", "debug_id": debug_id}]},
    }
    result = symbolicate(payload, project.id, _org_id(world))
    [error] = result["errors"]
    assert error["type"] == "js_invalid_source" and error["reason"].startswith("invalid data URL")
    assert result["exception"]["values"][0]["stacktrace"]["frames"] == [frame]  # kept minified
