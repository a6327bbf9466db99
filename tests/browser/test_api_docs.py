"""The API's documentation pages render in a browser under the site's Content-Security-Policy,
on a phone and a desktop, with nothing loaded from another origin."""

from urllib.parse import urlsplit

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.mark.parametrize("size", [{"width": 375, "height": 812}, {"width": 1280, "height": 900}])
@pytest.mark.parametrize(
    ("path", "title"),
    [("/api/v1/docs/", ".swagger-ui .info .title"), ("/api/v1/redoc/", "h1")],
)
def test_the_api_reference_renders_from_our_own_origin(page, live_server, size, path, title):
    page.set_viewport_size(size)
    hosts, refused = set(), []
    # What the browser really fetched (a request the policy blocks never leaves it).
    page.on("response", lambda response: hosts.add(urlsplit(response.url).netloc))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            # Redoc's footer names its maker with a logo from cdn.redoc.ly: the policy blocks it.
            if "Content Security Policy" in message.text and "cdn.redoc.ly" not in message.text
            else None
        ),
    )
    page.goto(path)
    heading = page.locator(title).first
    heading.wait_for(timeout=30_000)
    assert "Liaotu Commons API" in heading.inner_text()
    assert page.get_by_text("me/bookings", exact=False).first.is_visible() or path.endswith(
        "redoc/"
    )
    assert hosts - {""} == {urlsplit(live_server.url).netloc}  # "": blob: and data: URLs
    assert refused == []
    page.screenshot(path=f"var/screenshots/api-docs{path.replace('/', '-')}{size['width']}.png")
