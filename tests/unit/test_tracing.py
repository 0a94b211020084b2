"""Tracing is one template parameter: it turns on X-Ray active tracing and powertools' Tracer, whose
aws-xray-sdk is locked for the layer; with it off, a cold start does not import the SDK."""

from __future__ import annotations

import os
import subprocess
import sys

from infra.package import normalize, read_lock
from local.template import load_template

PROBE = "import sys, functions.auth_api.app; print('aws_xray_sdk' in sys.modules)"


def test_the_tracing_parameter_drives_lambdas_tracing_and_the_tracer() -> None:
    template = load_template()
    assert template["Parameters"]["Tracing"]["Default"] == "false"
    assert template["Conditions"]["TracingOn"] == {"Fn::Equals": [{"Ref": "Tracing"}, "true"]}
    function_globals = template["Globals"]["Function"]
    assert function_globals["Tracing"] == {"Fn::If": ["TracingOn", "Active", "PassThrough"]}
    assert function_globals["Environment"]["Variables"]["TRACING_ENABLED"] == {"Ref": "Tracing"}


def test_the_xray_sdk_is_locked_for_the_layer() -> None:
    sources, pins = read_lock()
    assert any("tracer" in source and source.startswith("aws-lambda-powertools[") for source in sources)
    assert {"aws-xray-sdk", "wrapt"} <= set(pins) and normalize("aws_xray_sdk") in pins


def _imports_the_sdk(tracing: str) -> bool:
    env = {**os.environ, "TRACING_ENABLED": tracing}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip() == "True"


def test_the_sdk_is_imported_only_when_tracing_is_on() -> None:
    assert _imports_the_sdk("true")
    assert not _imports_the_sdk("false")
