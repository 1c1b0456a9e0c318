"""One shape for every domain package: routes only in api.py (JSON) and pages.py (Chinese pages);
the request and response bodies of its routes in its schemas.py; the templates its pages render
under web/templates/<domain>/; web/ holds the app factory, dependencies, errors and layout only.
Each check is a function of sources or routes, and each is shown failing on a synthetic case."""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, create_model

import xinyong
from tests.conftest import make_settings
from xinyong.context import build_context
from xinyong.web.app import create_app
from xinyong.web.deps import Router

SRC = Path(xinyong.__file__).parent
WEB = SRC / "web"
TEMPLATES = WEB / "templates"
NOT_DOMAINS = {"common", "demo", "web"}  # law's data folders hold no Python
ROUTE_MODULES = {"api.py", "pages.py"}
LAYOUT = {"base.html", "error.html"}
WEB_FILES = {
    "__init__.py",
    "app.py",  # create_app, the router list
    "deps.py",
    "errors.py",
    "forms.py",  # what a refused form says, in Chinese (every domain's pages)
    "layout.py",  # the Jinja templates and their globals
    "security.py",
    "admission.py",
    "api.py",  # /api/health, the platform's own route
    "schemas.py",  # its answer
    "static",
    "templates",
    "__pycache__",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}
TEMPLATE_TAG = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+["']([^"']+)["']""")


def domains() -> list[Path]:
    return sorted(
        p for p in SRC.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_DOMAINS
    )


def sources(package: Path) -> dict[str, str]:
    """A package's modules by their path inside it."""
    return {
        str(path.relative_to(package)): path.read_text(encoding="utf-8")
        for path in sorted(package.rglob("*.py"))
    }


# -- routes only in api.py and pages.py -------------------------------------------------------


def route_offences(package: str, files: dict[str, str]) -> list[str]:
    """Modules other than api.py and pages.py that make a router or add a route to one."""
    found = []
    for name, source in files.items():
        if name in ROUTE_MODULES:
            continue
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            makes_router = called in ("Router", "APIRouter")
            adds_route = called in ("add_api_route", "add_route") or (
                isinstance(func, ast.Attribute)
                and called in HTTP_METHODS
                and isinstance(func.value, ast.Name)
                and func.value.id.endswith("router")
            )
            if makes_router or adds_route:
                found.append(f"{package}/{name}:{node.lineno}: {called}")
    return found


def models_defined_in(files: dict[str, str], modules: set[str]) -> list[str]:
    """Pydantic models defined in route modules (bodies belong in schemas.py)."""
    return [
        f"{name}:{node.lineno}: {node.name}"
        for name, source in files.items()
        if name in modules
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
        and any(getattr(b, "id", getattr(b, "attr", "")) == "BaseModel" for b in node.bases)
    ]


def test_routes_live_only_in_api_and_pages() -> None:
    offences = [o for p in domains() for o in route_offences(p.name, sources(p))]
    assert offences == [], "routes belong in api.py or pages.py:\n" + "\n".join(offences)


def test_no_route_module_defines_a_model() -> None:
    offences = [
        f"{p.name}/{o}" for p in domains() for o in models_defined_in(sources(p), ROUTE_MODULES)
    ]
    assert offences == [], "bodies belong in schemas.py:\n" + "\n".join(offences)


def test_the_route_check_sees_a_route_in_a_service() -> None:
    service = (
        "from xinyong.web.deps import Router\n"
        "router = Router()\n"
        "@router.get('/x')\n"
        "def x() -> None: ...\n"
    )
    assert len(route_offences("fake", {"service.py": service})) == 2
    assert route_offences("fake", {"api.py": service}) == []
    assert route_offences("fake", {"service.py": "def get(): return {}.get('x')"}) == []
    assert models_defined_in({"api.py": "class A(BaseModel):\n    x: int\n"}, ROUTE_MODULES)


# -- bodies in the domain's schemas.py --------------------------------------------------------


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, its included routers' too."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):  # an included router
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.original_route
        elif isinstance(route, APIRoute):
            yield route


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The Pydantic models a type names: itself, or inside Optional, list, Annotated, ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from models_in(arg)


def model_offences(routes: Iterable[APIRoute]) -> list[str]:
    """Body and response models not defined in the route's own domain's schemas.py. (Error
    answers are documented with web/errors.py's ErrorOut through `responses=`, not checked.)"""
    found = []
    for route in routes:
        package = route.endpoint.__module__.rpartition(".")[0]
        named = [p.field_info.annotation for p in route.dependant.body_params]
        for model in (m for t in [*named, route.response_model] for m in models_in(t)):
            if model.__module__ != f"{package}.schemas":
                where = f"{route.path} {sorted(route.methods)}"
                found.append(f"{where}: {model.__module__}.{model.__name__}")
    return sorted(set(found))


def test_bodies_and_answers_are_in_the_domains_schemas(tmp_path: Path) -> None:
    ctx = build_context(make_settings(tmp_path, f"sqlite:///{tmp_path / 'shape.db'}"))
    routes = list(api_routes(create_app(ctx).routes))
    assert len(routes) > 100
    offences = model_offences(routes)
    assert offences == [], "bodies belong in the domain's schemas.py:\n" + "\n".join(offences)


def _app_with_body(module: str) -> FastAPI:
    body = create_model("FakeIn", x=(int, ...), __module__=module)

    def endpoint(data: Any) -> dict[str, int]:
        return {}

    endpoint.__annotations__ = {"data": body, "return": dict[str, int]}  # the body: FakeIn
    endpoint.__module__ = "xinyong.fake.api"
    router = Router()
    router.add_api_route("/fake", endpoint, methods=["POST"])
    app = FastAPI()
    app.include_router(router)
    return app


def test_the_model_check_sees_a_body_outside_schemas() -> None:
    assert model_offences(api_routes(_app_with_body("xinyong.fake.service").routes))
    assert model_offences(api_routes(_app_with_body("xinyong.other.schemas").routes))
    assert model_offences(api_routes(_app_with_body("xinyong.fake.schemas").routes)) == []


# -- templates under web/templates/<domain>/ --------------------------------------------------


def template_offences(
    package: str, files: dict[str, str], exists: Callable[[str], bool]
) -> list[str]:
    """Templates a package names: only its pages.py, only its own folder's or the layout's."""
    found = []
    for name, source in files.items():
        for node in ast.walk(ast.parse(source)):
            if not (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.endswith(".html")
            ):
                continue
            template = node.value
            where = f"{package}/{name}:{node.lineno}: {template}"
            if name != "pages.py":
                found.append(f"{where} (only pages.py renders templates)")
            elif not (template.startswith(f"{package}/") or template in LAYOUT):
                found.append(f"{where} (not under web/templates/{package}/)")
            elif not exists(template):
                found.append(f"{where} (no such file)")
    return found


def _exists(template: str) -> bool:
    return (TEMPLATES / template).is_file()


def test_pages_render_their_own_domains_templates() -> None:
    offences = [o for p in domains() for o in template_offences(p.name, sources(p), _exists)]
    assert offences == [], "\n".join(offences)


def test_every_template_has_its_domains_pages_and_its_parents_exist() -> None:
    offences = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES))
        folder = path.parent.relative_to(TEMPLATES).parts
        if folder == ():
            if name not in LAYOUT:
                offences.append(f"{name}: a domain's template goes under its folder")
        elif len(folder) != 1 or not (SRC / folder[0] / "pages.py").exists():
            offences.append(f"{name}: no package {folder[0]} with a pages.py")
        for parent in TEMPLATE_TAG.findall(path.read_text(encoding="utf-8")):
            if not _exists(parent):
                offences.append(f"{name}: names {parent}, which does not exist")
    assert offences == [], "\n".join(offences)


def test_the_template_check_sees_a_stray_template() -> None:
    page = 'TemplateResponse(request, "sharing/me.html", {})'
    assert template_offences("fake", {"pages.py": page}, _exists)
    assert template_offences("sharing", {"api.py": page}, _exists)
    assert template_offences("sharing", {"pages.py": page.replace("me", "none")}, _exists)
    assert template_offences("sharing", {"pages.py": page}, _exists) == []


# -- web/ keeps the app factory, dependencies, errors and layout ------------------------------


def web_offences(names: Iterable[str]) -> list[str]:
    return sorted(f"web/{n}" for n in names if n not in WEB_FILES)


def test_web_holds_only_the_app_and_its_layout() -> None:
    offences = web_offences(p.name for p in WEB.iterdir())
    assert offences == [], "pages and routes go to their domain:\n" + "\n".join(offences)
    assert web_offences(["app.py", "pages.py"]) == ["web/pages.py"]
