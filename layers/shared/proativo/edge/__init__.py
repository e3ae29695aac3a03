"""What every HTTP door shares: the refusal table, the OpenAPI description, the store API's request signing."""
