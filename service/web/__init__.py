"""The HTTP surface: the app factory, routes, middleware, request bodies, streaming, the
OpenAPI document, and the static editor page and API docs assets (`static/`).

Imports `service.runtime`, `service.contract`, `service.settings` and `newsum.models`; never
`service.corpus` or `service.cli`.
"""
