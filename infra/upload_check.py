"""``sam package`` uploads exactly what ``make package`` built.

``sam deploy`` packages the template first: it uploads every local ``CodeUri``/``ContentUri`` and
rewrites it to the S3 object. This runs that step against a local S3 (the moto server) and checks
that every function and layer now points at an object whose bytes are the built zip, so SAM neither
rebuilt nor re-zipped anything. Usage: ``python -m infra.upload_check <path to sam>``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import yaml

from infra.package import artifact_path
from local.moto_server import start_process
from local.template import TEMPLATE, _TemplateLoader, resources

BUCKET = "artifacts"
_URI_OF = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def check(sam: str) -> list[str]:
    """Problems found (empty when every artifact was uploaded as built)."""
    moto, endpoint = start_process()
    try:
        environment = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "SAM_CLI_TELEMETRY": "0",
        }
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        s3.create_bucket(Bucket=BUCKET)
        with tempfile.TemporaryDirectory() as scratch:
            packaged_path = Path(scratch) / "packaged.yaml"
            command = [sam, "package", "-t", str(TEMPLATE), "--s3-bucket", BUCKET]
            command += ["--output-template-file", str(packaged_path)]
            done = subprocess.run(command, env=environment, capture_output=True, text=True)
            if done.returncode != 0:
                return [f"sam package failed: {done.stderr[-2000:]}"]
            packaged = yaml.load(packaged_path.read_text(encoding="utf-8"), Loader=_TemplateLoader)[
                "Resources"
            ]
        problems = []
        for kind, key in _URI_OF.items():
            for name, props in resources(kind).items():
                uploaded = packaged[name]["Properties"][key]
                if not isinstance(uploaded, str) or not uploaded.startswith(f"s3://{BUCKET}/"):
                    problems.append(f"{name}: {key} became {uploaded!r}")
                    continue
                body = s3.get_object(Bucket=BUCKET, Key=uploaded.removeprefix(f"s3://{BUCKET}/"))[
                    "Body"
                ].read()
                if body != artifact_path(props[key]).read_bytes():
                    problems.append(f"{name}: the uploaded object is not {props[key]}")
        return problems
    finally:
        moto.terminate()
        moto.wait(timeout=10)


def main() -> int:
    problems = check(sys.argv[1])
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print("sam package uploads every function and layer zip as built")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
