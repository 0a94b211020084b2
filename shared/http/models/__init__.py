"""Request bodies as pydantic models: validated by powertools, documented in the OpenAPI schema."""
