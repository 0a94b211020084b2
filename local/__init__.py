"""The local system: a locked moto server, resources and routes read from the SAM template, the dev
API server, the SQS worker and schedule runner, and demo data. Never imported by ``shared`` or
``functions``: on AWS, API Gateway, Lambda and EventBridge do this work."""
