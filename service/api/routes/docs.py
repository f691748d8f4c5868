"""/openapi.json, /docs and /redoc behind the same access control as the API (CG_API_DOCS=key).

FastAPI's own docs routes take no dependencies, so the app turns them off and serves
them here. A browser cannot send the key header: in key mode fetch the schema with
`curl -H 'X-API-Key: ...' /openapi.json`, or set CG_API_DOCS=public.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from service.api.auth import ANY_SCOPE, require

OPENAPI_URL = "/openapi.json"
router = APIRouter(include_in_schema=False, dependencies=[Depends(require(ANY_SCOPE))])


@router.get(OPENAPI_URL)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - docs")


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - ReDoc")
