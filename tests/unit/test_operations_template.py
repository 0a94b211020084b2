"""What the template gives operators: an alarm on every function, queue and dead-letter queue and
on the API's 5xx rate, all notifying the alarm topic parameter; one log group with a retention; and
the outputs the admin CLI reads to find the deployed tables and queues."""

from __future__ import annotations

from typing import Any

from cli.admin import STACK_OUTPUTS
from local.template import environment_refs, load_template, resources

TOPIC_ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], []]}


def _alarms() -> dict[str, dict[str, Any]]:
    return resources("AWS::CloudWatch::Alarm")


def _watched(namespace: str, metric: str) -> list[Any]:
    """The dimension values of the alarms on ``namespace``/``metric``."""
    return [
        dimension["Value"]
        for alarm in _alarms().values()
        if alarm["Namespace"] == namespace and alarm["MetricName"] == metric
        for dimension in alarm["Dimensions"]
    ]


def test_every_function_alarms_on_errors_and_throttles() -> None:
    functions = [{"Ref": name} for name in sorted(resources("AWS::Serverless::Function"))]
    for metric in ("Errors", "Throttles"):
        watched = _watched("AWS/Lambda", metric)
        assert sorted(watched, key=str) == sorted(functions, key=str), metric


def test_every_queue_alarms_on_age_and_every_dead_letter_queue_on_depth() -> None:
    queues = resources("AWS::SQS::Queue")
    dead_letter = {
        props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for props in queues.values()
        if "RedrivePolicy" in props
    }
    work = set(queues) - dead_letter
    assert work and dead_letter
    aged = {value["Fn::GetAtt"][0] for value in _watched("AWS/SQS", "ApproximateAgeOfOldestMessage")}
    deep = {value["Fn::GetAtt"][0] for value in _watched("AWS/SQS", "ApproximateNumberOfMessagesVisible")}
    assert aged == work
    assert deep == dead_letter
    for alarm in _alarms().values():
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible":
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_the_api_alarms_on_its_5xx_rate() -> None:
    [alarm] = [a for a in _alarms().values() if a["Namespace"] == "AWS/ApiGateway"]
    [api] = resources("AWS::Serverless::HttpApi")
    assert (alarm["MetricName"], alarm["Statistic"]) == ("5xx", "Average")
    assert sorted(alarm["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "ApiId", "Value": {"Ref": api}},
        {"Name": "Stage", "Value": "$default"},
    ]


def test_the_api_serves_every_route_at_the_root_of_its_url_with_a_rate_limit() -> None:
    [(api, props)] = resources("AWS::Serverless::HttpApi").items()
    assert "StageName" not in props  # the $default stage: no path before the routes
    throttle = props["DefaultRouteSettings"]
    assert throttle["ThrottlingRateLimit"] > 0 and throttle["ThrottlingBurstLimit"] > 0
    for name, function in resources("AWS::Serverless::Function").items():
        for event in function.get("Events", {}).values():
            if event["Type"] in ("Api", "HttpApi"):
                assert event["Type"] == "HttpApi", name
                assert event["Properties"]["ApiId"] == {"Ref": api}, name
                assert event["Properties"]["PayloadFormatVersion"] == "2.0", name


def test_the_ingestion_routes_take_a_storm_at_a_rate_of_their_own() -> None:
    [props] = resources("AWS::Serverless::HttpApi").values()
    ingest = {
        f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}"
        for e in resources("AWS::Serverless::Function")["IngestFunction"]["Events"].values()
    }
    assert set(props["RouteSettings"]) == ingest
    parameters = load_template()["Parameters"]
    for route in ingest:
        throttle = props["RouteSettings"][route]
        assert throttle == {
            "ThrottlingRateLimit": {"Ref": "IngestRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "IngestBurstLimit"},
        }
    assert (
        parameters["IngestRateLimit"]["Default"] > 50 * props["DefaultRouteSettings"]["ThrottlingRateLimit"]
    )
    logging = resources("AWS::Serverless::Function")["IngestFunction"]["LoggingConfig"]
    assert logging == {"LogFormat": "JSON", "SystemLogLevel": "WARN"}  # no START/REPORT per event


def test_the_ingestion_function_has_a_public_url_which_only_the_dsn_handing_function_names() -> None:
    functions = resources("AWS::Serverless::Function")
    [(name, props)] = [(n, p) for n, p in functions.items() if "FunctionUrlConfig" in p]
    assert name == "IngestFunction"
    url = props["FunctionUrlConfig"]
    assert url["AuthType"] == "NONE"  # SDKs authenticate with the DSN key, not with IAM
    cors = url["Cors"]
    assert (cors["AllowOrigins"], cors["AllowMethods"]) == (["*"], ["POST"])
    assert {"x-sentry-auth", "content-type", "content-encoding"} <= set(cors["AllowHeaders"])
    assert {"x-sentry-rate-limits", "retry-after"} <= set(cors["ExposeHeaders"])
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": ["HasIngestConcurrency", {"Ref": "IngestConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    ingest_url = {
        "Fn::If": ["HasIngestUrl", {"Ref": "IngestUrl"}, {"Fn::GetAtt": ["IngestFunctionUrl", "FunctionUrl"]}]
    }
    naming = {
        n for n, p in functions.items() if "INGEST_URL" in p.get("Environment", {}).get("Variables", {})
    }
    # the functions whose answers hold DSNs (the ingestion function itself would be a cycle)
    assert naming == {"ProjectApiFunction"}
    assert functions["ProjectApiFunction"]["Environment"]["Variables"]["INGEST_URL"] == ingest_url
    assert "INGEST_URL" not in load_template()["Globals"]["Function"]["Environment"]["Variables"]
    assert load_template()["Outputs"]["IngestUrl"]["Value"] == ingest_url


def test_every_alarm_notifies_the_topic_parameter() -> None:
    assert load_template()["Parameters"]["AlarmTopicArn"]["Type"] == "String"
    for name, alarm in _alarms().items():
        assert alarm["AlarmActions"] == TOPIC_ACTIONS, name
        assert alarm["OKActions"] == TOPIC_ACTIONS, name


def test_functions_log_to_one_group_with_a_retention() -> None:
    function_globals = load_template()["Globals"]["Function"]
    assert function_globals["LoggingConfig"]["LogGroup"] == {"Ref": "FunctionLogGroup"}
    [group] = resources("AWS::Logs::LogGroup").values()
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    for props in resources("AWS::Serverless::Function").values():
        assert "LogGroup" not in props.get("LoggingConfig", {})  # the global one, merged by SAM


def test_outputs_name_everything_the_admin_cli_reads() -> None:
    deployed = set(resources("AWS::DynamoDB::Table")) | set(resources("AWS::SQS::Queue"))
    expected = {logical: variable for variable, logical in environment_refs().items() if logical in deployed}
    expected |= {"PublicUrl": "PUBLIC_URL", "SnowflakeRegionId": "SNOWFLAKE_REGION_ID"}
    assert expected == STACK_OUTPUTS
    outputs = load_template()["Outputs"]
    for name in STACK_OUTPUTS:
        assert name in outputs, name
