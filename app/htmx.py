"""One URL, two renderings: the full page, or one named block when htmx asks for it."""
from flask import Flask, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """Whether this request came from htmx (and is not a history restore, which wants a page)."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(template: str, block: str | None = None, status: int = 200, **context):
    """Render the whole page, or only `block` of it for an htmx request that targets it."""
    if block and is_htmx() and not request.headers.get("HX-Boosted"):
        return render_block(template, block, **context), status
    return render_template(template, **context), status


def init_app(app: Flask) -> None:
    """Responses differ with HX-Request, so caches must key on it."""

    @app.after_request
    def vary_on_htmx(response):
        response.vary.add("HX-Request")
        return response
