"""The one resolver every API function routes with: powertools' resolver for the HTTP API's payload
format 2.0, matching a route with or without its trailing slash.

Sentry's URLs end in ``/`` (``/api/0/organizations/acme/releases/``) and sentry-cli and the SDKs send
them so; routes are declared without it. powertools ignores the slash for REST APIs only, so the HTTP
API resolver is given the same rule here. It keeps powertools' class name because powertools' OpenAPI
merge finds the functions' resolvers by that name in their source."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import api_gateway


class APIGatewayHttpResolver(api_gateway.APIGatewayHttpResolver):
    """powertools' HTTP API resolver whose routes also match their path followed by slashes."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$") -> re.Pattern[str]:
        return api_gateway.APIGatewayHttpResolver._compile_regex(rule, base_regex)
