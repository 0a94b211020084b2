"""A JavaScript frame's module, made up from its URL as Sentry's symbolication does it: a frame
resolved through a source map to a ``webpack:`` source, or one that names no module of its own and
lives at an ``http(s):``, ``webpack:`` or ``app:`` URL, gets the URL's path without host, query,
extension, ``.min``, version or hash folders and common folder names (``js``, ``static``,
``build``, …). The culprit of a JavaScript issue is ``function(module)``, so this is what names it."""

from __future__ import annotations

import re

_NAMED_URL = ("http:", "https:", "webpack:", "app:")
# Leading folders that say nothing about the code (Sentry's list), and a trailing commit hash.
_USELESS = re.compile(
    r"""^(?:/|(?:(?:java)?scripts?|js|build|static|node_modules|bower_components|[_.~].*?|
    v?(?:\d+\.)*\d+|[a-f0-9]{7,8}|[a-f0-9]{32}|[a-f0-9]{40})/)+|(?:[-.][a-f0-9]{7,}$)""",
    re.IGNORECASE | re.VERBOSE,
)
_WEBPACK_NAMESPACE = re.compile(r"^webpack://[a-zA-Z0-9_\-@.]+/\./")


def frame_module(module: str | None, abs_path: str, source: str) -> str | None:
    """The module of a frame mapped to ``source`` at ``abs_path`` (``module``: the SDK's)."""
    if source.startswith("webpack:"):
        return generated_module(webpack_filename(source))
    if module is None and abs_path.startswith(_NAMED_URL):
        return generated_module(abs_path)
    return module


def webpack_filename(source: str) -> str:
    """A ``webpack:`` source as a path: ``webpack:///./src/a.js`` → ``./src/a.js``."""
    if "/~/" in source:
        return "~/" + source.split("/~/", 1)[1]
    if _WEBPACK_NAMESPACE.match(source):
        return _WEBPACK_NAMESPACE.sub("./", source, count=1)
    return source.removeprefix("webpack:///")


def generated_module(url: str) -> str:
    """``http://example.com/js/v1.0/foo/bar/baz.min.js?x`` → ``foo/bar/baz``."""
    path = _without_host(url)
    path = re.split(r"[#?]", path, maxsplit=1)[0]
    cut = max(path.rfind("."), path.rfind("/"))
    if cut >= 0 and path[cut] == ".":
        path = path[:cut]
    path = path.removesuffix(".min")
    segments = path.split("/")
    for index, segment in enumerate(segments):  # what follows a content hash folder
        if len(segment) == 32 or (len(segment) == 40 and all(c in "0123456789abcdefABCDEF" for c in segment)):
            return "/".join(segments[index + 1 :])
    return _USELESS.sub("", path)


def _without_host(url: str) -> str:
    if url.startswith("~"):
        return url[1:]
    if "://" in url:
        rest = url.split("://", 1)[1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else rest
    return url
