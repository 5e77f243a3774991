"""The HTML error page a browser gets instead of the API's JSON error (see `errors.wants_html`).

Messages speak to the person at the browser: what happened and where to go next, never the
API's codes.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from studyforge.web.pages import cookie_user, login_url, render

TITLES = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not a page",
    413: "Too large",
    422: "Something in the address is wrong",
    429: "Too many attempts",
}
GENERIC = {  # Starlette's own reasons, reworded
    "Not Found": "There is no page at {path}. The link may be mistyped or out of date.",
    "Method Not Allowed": "{path} is where a form sends its data; it is not a page to open.",
}


async def error_page(request: Request, status: int, message: str) -> Response:
    """The error page for `status`, inside the site's shell when the visitor is signed in."""
    user = await cookie_user(request)
    path = request.url.path
    text = GENERIC.get(message, message).format(path=path) if message else ""
    if status == 401:
        text = "Sign in to see this page."
    if status == 422:
        text = "The address has a value studyforge cannot use. Go back and try again."
    back, label = ("/", "the home page") if user else (login_url(path), "sign in")
    context = {
        "title": TITLES.get(status, "Something went wrong"),
        "message": text,
        "back": back,
        "back_label": label,
    }
    return render(request, "error.html", context, user=user, status_code=status)
