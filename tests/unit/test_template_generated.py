"""The committed ``infra/template.yaml`` is what ``make template`` writes from its source and the access map.

Like ``infra/requirements.lock`` (``make lock``), the generated file is committed so SAM, cfn-lint and
the local runner read plain YAML; this test fails when the source changed and it was not rewritten.
"""

from __future__ import annotations

import yaml

from infra.template import TARGET, current, generate
from local.template import _TemplateLoader

SOURCE = """\
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Queue: {Type: AWS::SQS::Queue}
  Bucket: {Type: AWS::S3::Bucket}
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Handler: functions.x.app.handler
      Routes:
        GetThing: GET /api/0/things/{id}
AlarmDefaults: &alarm
  Period: 300
  AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], []]
Globals:
  Function:
    Environment:
      Variables: {TRACING_ENABLED: "false"}
Outputs:
  ApiUrl: {Value: x}
"""


def test_committed_template_is_current() -> None:
    committed = TARGET.read_text(encoding="utf-8")
    assert committed == current(), "infra/template.src.yaml or infra/access.yaml changed: run `make template`"


def test_generation_adds_policies_route_twins_and_alarms_in_cloudformation_short_forms() -> None:
    text = generate(SOURCE, {"Function": {"Table": "read", "Queue": "send", "Bucket": "write"}})

    template = yaml.load(text, Loader=_TemplateLoader)
    assert "AlarmDefaults" not in template
    function = template["Resources"]["Function"]["Properties"]
    assert "Routes" not in function
    assert function["CodeUri"] == "../build/functions/x.zip"  # the zip `make package` builds for it
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables == {"TABLE": {"Ref": "Table"}, "BUCKET": {"Ref": "Bucket"}, "TRACING_ENABLED": "false"}
    assert template["Outputs"] == {
        "ApiUrl": {"Value": "x"},
        "Table": {"Value": {"Ref": "Table"}},
        "Bucket": {"Value": {"Ref": "Bucket"}},
    }
    assert function["Policies"] == [
        {"DynamoDBReadPolicy": {"TableName": {"Ref": "Table"}}},
        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["Queue", "QueueName"]}}},
        {"S3WritePolicy": {"BucketName": {"Ref": "Bucket"}}},
    ]
    routes = {
        name: (event["Properties"]["Method"], event["Properties"]["Path"])
        for name, event in function["Events"].items()
    }
    assert routes == {
        "GetThing": ("GET", "/api/0/things/{id}"),
        "GetThingSlash": ("GET", "/api/0/things/{id}/{proxy+}"),
    }
    assert function["Events"]["GetThing"]["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    errors = template["Resources"]["FunctionErrorsAlarm"]["Properties"]
    assert errors["MetricName"] == "Errors"
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "Function"}}]
    assert errors["AlarmActions"] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], []]}
    assert template["Resources"]["FunctionThrottlesAlarm"]["Properties"]["MetricName"] == "Throttles"
    assert "!Ref HttpApi" in text and "!GetAtt Queue.QueueName" in text


def test_generation_alarms_on_each_work_queue_and_its_dead_letter_queue() -> None:
    source = SOURCE.replace(
        "  Queue: {Type: AWS::SQS::Queue}\n",
        "  Dead: {Type: AWS::SQS::Queue}\n"
        "  Queue:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties: {RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 3}}\n",
    )
    resources = yaml.load(generate(source, {}), Loader=_TemplateLoader)["Resources"]
    depth, age = resources["DeadAlarm"]["Properties"], resources["QueueAgeAlarm"]["Properties"]
    variables = yaml.load(generate(source, {}), Loader=_TemplateLoader)["Globals"]["Function"]["Environment"]
    assert (
        variables["Variables"]["QUEUE_URL"] == {"Ref": "Queue"} and "DEAD_URL" not in variables["Variables"]
    )
    assert depth["AlarmDescription"] == "Messages of Queue failed 3 times and wait in Dead."
    assert (depth["MetricName"], depth["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)
    assert depth["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Dead", "QueueName"]}}]
    assert (age["MetricName"], age["Threshold"]) == (
        "ApproximateAgeOfOldestMessage",
        {"Ref": "QueueAgeAlarmSeconds"},
    )
    assert age["AlarmActions"] == {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], []]}
    assert "DeadAgeAlarm" not in resources  # a dead-letter queue has no consumer to wait for
