"""The wire contract shared by the HTTP surface and the corpus job: request and response
schemas, the one map from domain errors to statuses and codes, and JSON bodies read safely.

Imports `newsum.models` and `service.settings` only.
"""
