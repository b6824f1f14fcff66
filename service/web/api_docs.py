"""/docs (Swagger UI) and /redoc (ReDoc) from files installed with the service, not a CDN.

FastAPI's own pages load Swagger UI, ReDoc and a favicon from CDNs, so on a network
that reaches only this server they stay blank. fastapi-offline's wheel ships those
files (Swagger UI 5, ReDoc 2, as FastAPI's CDN links name them); they are served from
DOCS_ASSETS, and the pages are FastAPI's own, pointed at them.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

# Where the pages' files are served: swagger-ui-bundle.js, swagger-ui.css,
# redoc.standalone.js, favicon.png.
DOCS_ASSETS = "/docs/assets"
_FILES = Path(fastapi_offline.__file__).parent / "static"
# ReDoc's sidebar shows Redocly's logo from their CDN, whatever its options say: the
# browser is told to load nothing from elsewhere, and ReDoc drops the image.
_REDOC_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:"
)


def install_api_docs(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """The pages FastAPI adds by default (made with `docs_url=None, redoc_url=None`).

    Added as FastAPI adds them (plain routes, GET and HEAD, none in the OpenAPI
    document), with the OAuth2 redirect page Swagger UI links to.
    """
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    if openapi_url is None:
        return
    app.mount(DOCS_ASSETS, StaticFiles(directory=_FILES), name="api_docs_assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def swagger_ui_redirect(_: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            # Google's fonts are a CDN too; ReDoc falls back to the system's.
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = _REDOC_POLICY
        return page

    app.add_route(docs_url, swagger_ui, include_in_schema=False)
    if oauth2_redirect_url:
        app.add_route(oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(redoc_url, redoc, include_in_schema=False)


def _root_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")
