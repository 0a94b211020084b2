"""The local system: a locked moto server (its tables kept on disk), resources and routes read from
the SAM template, API Gateway's translation, Lambda's execution environments (a pool of worker
processes per function) behind the dev API server, the SQS pollers and schedules, and demo data.
Never imported by ``shared`` or ``functions``: on AWS, API Gateway, Lambda and EventBridge do this
work."""
