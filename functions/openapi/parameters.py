"""The query-string parameters each operation reads, for the document.

The handlers read the raw query string (``shared.http.request``: repeated values such as
``?id=1&id=2`` are lost in the payload's ``queryStringParameters``), so powertools cannot see them;
they are listed here, beside the rules that read them, each with the values those rules accept."""

from __future__ import annotations

from typing import Any

from shared.http.pagination import MAX_PER_PAGE
from shared.notifications.settings import CHOICES
from shared.releases.details import STATS_PERIODS, STATUS_FILTERS
from shared.search.statuses import STATUS_WORDS

Parameter = dict[str, Any]


def _one(name: str, description: str, schema: dict[str, Any] | None = None) -> Parameter:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


INTEGER = {"type": "string", "pattern": "^-?[0-9]+$"}  # ids are read from text


def _many(name: str, description: str, items: dict[str, Any] | None = None) -> Parameter:
    """A repeatable parameter (``?project=1&project=2``)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": items or {"type": "string"}},
        "style": "form",
        "explode": True,
    }


PER_PAGE = _one("per_page", "Items per page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE})
# Lists sliced in code: Sentry's offset cursor, ``0:<offset>:<is_prev>``.
PAGE = [
    _one(
        "cursor",
        "Where the page starts (`0:<offset>:<is_prev>`, from a `Link` header)",
        {"type": "string", "pattern": "^([0-9]+:[0-9]+:[0-9]+)?$"},
    ),
    PER_PAGE,
]
# Lists read page by page from DynamoDB: the cursor is its position, opaque and checked (forged: 400).
KEYED_PAGE = [
    _one("cursor", "Where the page starts: the `cursor` of a `Link` header from the previous page"),
    PER_PAGE,
]
PROJECT_IDS = _many(
    "project", "Only these projects (ids); `-1` or none for every project the caller can see", INTEGER
)
ISSUE_SEARCH = [
    _one("query", 'Sentry\'s issue search (`is:unresolved` unless given; `""` for every status)'),
    _one("sort", "The order (default `date`)", {"type": "string", "enum": ["date", "new", "freq", "user"]}),
    _many("environment", "Only issues seen in these environments; `count` is theirs"),
    *PAGE,
]
ISSUE_DETAILS = [_many("environment", "`count` of these environments only")]
BULK_SELECTION = [
    _many("id", "The issues to change (ids), else the ones the search selects", INTEGER),
    _one("query", "Sentry's issue search selecting the issues when no `id` is given"),
    _one(
        "status",
        "Select the issues of this status instead of `query`",
        {"type": "string", "enum": ["", *STATUS_WORDS]},
    ),
]
RELEASE_STATUS = {"type": "string", "enum": sorted(STATUS_FILTERS)}
RELEASE_SEARCH = [
    _one("status", "Open or archived releases", RELEASE_STATUS),
    _one("query", "Only the versions containing this text"),
    *PAGE,
]
PERIOD = {"type": "string", "enum": ["", *STATS_PERIODS]}
RELEASE_DETAILS = [
    _many("project", "The project whose `currentProjectMeta` is shown (an id)", INTEGER),
    _one("health", "Whether to include health data (`1`/`true`)"),
    _one("adoptionStages", "Whether to include each project's adoption stage (`1`/`true`)"),
    _one("summaryStatsPeriod", "The health summary's period (default `14d`)", PERIOD),
    _one("healthStatsPeriod", "The health statistics' period (default `24h` with `health`)", PERIOD),
    _one("sort", "The order used for the neighbours in `currentProjectMeta` (only `date` with a project)"),
    _one("status", "Open or archived releases, for the neighbours in `currentProjectMeta`", RELEASE_STATUS),
    _one("query", "Only neighbours whose version contains this text"),
    _many("environment", "Only these environments"),
]
EVENT_QUERY = _one("query", "Sentry's event search: tags, `user.*`, `has:`, free text over title and message")
FULL = _one("full", "Whether each event has its full body (`1`/`true`)")
ISSUE_EVENTS = [
    EVENT_QUERY,
    FULL,
    _one("start", "Events from this time (ISO 8601, with `end`)"),
    _one("end", "Events until this time (ISO 8601, with `start`)"),
    _one("statsPeriod", "Events of this last period (`24h`, `14d`…) instead of `start`/`end`"),
    _many("environment", "Only these environments"),
    *KEYED_PAGE,
]
INGEST = [_one("sentry_key", "The DSN's public key, for clients that send no `X-Sentry-Auth` header")]

QUERY: dict[tuple[str, str], list[Parameter]] = {
    ("get", "/api/0/users/{user_id}/notification-settings"): [
        _one("type", "Only the choice of this type", {"type": "string", "enum": sorted(CHOICES)})
    ],
    ("post", "/api/{project_id}/envelope"): INGEST,
    ("post", "/api/{project_id}/store"): INGEST,
    ("get", "/api/0/organizations/{org}/issues"): [PROJECT_IDS, *ISSUE_SEARCH],
    ("get", "/api/0/projects/{org}/{project}/issues"): ISSUE_SEARCH,
    ("get", "/api/0/issues/{issue_id}"): ISSUE_DETAILS,
    ("get", "/api/0/organizations/{org}/issues/{issue_id}"): ISSUE_DETAILS,
    ("put", "/api/0/organizations/{org}/issues"): [PROJECT_IDS, *BULK_SELECTION],
    ("put", "/api/0/projects/{org}/{project}/issues"): BULK_SELECTION,
    ("delete", "/api/0/organizations/{org}/issues"): [PROJECT_IDS, *BULK_SELECTION],
    ("delete", "/api/0/projects/{org}/{project}/issues"): BULK_SELECTION,
    ("get", "/api/0/organizations/{org}/releases"): RELEASE_SEARCH,
    ("get", "/api/0/projects/{org}/{project}/releases"): RELEASE_SEARCH,
    ("get", "/api/0/organizations/{org}/releases/{version}"): RELEASE_DETAILS,
    ("get", "/api/0/organizations/{org}/releases/{version}/commitfiles"): PAGE,
    ("get", "/api/0/organizations/{org}/releases/{version}/deploys"): [
        _many("project", "Only the deploys of these projects (ids)", INTEGER),
        *PAGE,
    ],
    ("get", "/api/0/organizations/{org}/repos"): KEYED_PAGE,
    ("get", "/api/0/issues/{issue_id}/events"): ISSUE_EVENTS,
    ("get", "/api/0/organizations/{org}/issues/{issue_id}/events"): ISSUE_EVENTS,
    ("get", "/api/0/projects/{org}/{project}/events"): [EVENT_QUERY, FULL, *KEYED_PAGE],
}


def query_parameters(method: str, path: str) -> list[Parameter]:
    return QUERY.get((method, path), [])
