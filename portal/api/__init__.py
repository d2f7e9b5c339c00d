"""The portal's REST API as a whole: one error shape, its OpenAPI schema and docs page, personal tokens."""
