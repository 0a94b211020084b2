"""The real @sentry/node SDK, run by node from the modules ``make test-browser`` installs
(``SENTRY_NODE_MODULES``); a missing install fails the test with what to run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = r"""
const Sentry = require("@sentry/node");
Sentry.init({
  dsn: process.env.DSN, release: "api@2.0.0", environment: "production", defaultIntegrations: false,
});
Sentry.setUser({ id: "7", email: "node-buyer@example.com" });
Sentry.setTag("region", "eu-west-1");
Sentry.setContext("order", { id: "A-17", total: 42 });
Sentry.addBreadcrumb({ category: "db", message: "SELECT * FROM orders", level: "info" });
function chargeCard() { throw new TypeError("card is undefined"); }
let id;
try { chargeCard(); } catch (error) { id = Sentry.captureException(error); }
Sentry.close(10000).then(() => process.stdout.write(id));
"""


def send_node_error(dsn: str) -> str:
    """Capture one TypeError with @sentry/node (user, tag, context, breadcrumb); its event id."""
    modules = os.environ.get("SENTRY_NODE_MODULES", "")
    if not modules or not (Path(modules) / "@sentry" / "node").is_dir():
        pytest.fail("SENTRY_NODE_MODULES must name a node_modules with @sentry/node: run `make test-browser`")
    done = subprocess.run(
        ["node", "-e", SCRIPT],
        env={**os.environ, "NODE_PATH": modules, "DSN": dsn},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()
