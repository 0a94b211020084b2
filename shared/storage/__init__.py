"""PynamoDB models, one module per aggregate, plus the few batch helpers the services need."""
