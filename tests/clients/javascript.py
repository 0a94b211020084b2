"""The JavaScript tools the source-map tests run: esbuild (a bundler writing source maps) and
@sentry/node, installed from npm once into the cache outside the checkout, and a small app built
from them into a minified bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from local.cache import cache_root

PACKAGES = ("esbuild@0.28.2", "@sentry/node@11.12.0")

CHECKOUT = """\
// Prices a cart; a total above the limit is refused.
export function computeTotal(items) {
  const total = items.reduce((sum, item) => sum + item.price, 0);
  if (total > 100) {
    throw new Error("Checkout total too high: " + total);
  }
  return total;
}
"""

MAIN = """\
const Sentry = require("@sentry/node");
const { computeTotal } = require("./checkout.js");

// PRINT_EVENT=1 prints the event the SDK would send instead of sending it.
const printed = (event) => {
  console.log(JSON.stringify(event));
  return null;
};
Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: process.env.APP_RELEASE || undefined,
  beforeSend: process.env.PRINT_EVENT === "1" ? printed : undefined,
});

function placeOrder() {
  return computeTotal([{ price: 70 }, { price: 50 }]);
}

try {
  placeOrder();
} catch (error) {
  Sentry.captureException(error);
}
Sentry.flush(10000).then(() => process.exit(0));
"""

# The line and text of the ``throw`` in CHECKOUT (1-based), what a resolved frame must show.
THROW_LINE = 5
THROW_TEXT = '    throw new Error("Checkout total too high: " + total);'


def tools() -> Path:
    """The folder whose ``node_modules`` holds the packages (installed on first use)."""
    home = cache_root() / ("js-" + "-".join(p.replace("/", "_").replace("@", "") for p in PACKAGES))
    if (home / "node_modules" / ".bin" / "esbuild").exists():
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=home.parent))
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(scratch), *PACKAGES],
        check=True,
        timeout=600,
    )
    try:  # moved into place only when complete; a parallel install that won leaves its own
        scratch.rename(home)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
    return home


def build_app(folder: Path, with_sdk: bool = False, inline_map: bool = False) -> Path:
    """``src/`` of the app and ``dist/app.js``, minified by esbuild with ``dist/app.js.map``
    (``with_sdk``: @sentry/node bundled in too, a bundle and map of a real app's size;
    ``inline_map``: the map inside ``app.js`` as a ``data:`` URL instead)."""
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "checkout.js").write_text(CHECKOUT)
    (folder / "src" / "main.js").write_text(MAIN)
    subprocess.run(
        [
            str(tools() / "node_modules" / ".bin" / "esbuild"),
            "src/main.js",
            "--bundle",
            "--minify",
            "--sourcemap=inline" if inline_map else "--sourcemap",
            "--platform=node",
            "--format=cjs",
            *([] if with_sdk else ["--external:@sentry/node"]),
            "--outfile=dist/app.js",
        ],
        cwd=folder,
        env={**os.environ, "NODE_PATH": str(tools() / "node_modules")},
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder / "dist" / "app.js"


def run_app(bundle: Path, dsn: str, release: str | None, print_event: bool = False) -> str:
    """Run the bundle under node with @sentry/node; it throws, captures and flushes (or prints
    the event instead of sending it); returns what it printed."""
    env = {
        **os.environ,
        "NODE_PATH": str(tools() / "node_modules"),
        "SENTRY_DSN": dsn,
        "APP_RELEASE": release or "",
        "PRINT_EVENT": "1" if print_event else "",
    }
    result = subprocess.run(["node", str(bundle)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout
