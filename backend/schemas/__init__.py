"""Marshmallow schemas: they validate requests and *are* the OpenAPI spec."""
