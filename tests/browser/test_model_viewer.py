"""The 3D viewer draws an uploaded model with three.js, and its buttons turn it."""

import pytest

from media.tests import samples
from ugc import services
from ugc.tests.factories import make_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DISTINCT_COLOURS = """() => {
    const canvas = document.querySelector('.model-viewer canvas');
    const probe = document.createElement('canvas');
    probe.width = canvas.width; probe.height = canvas.height;
    const context = probe.getContext('2d');
    context.drawImage(canvas, 0, 0);
    const pixels = context.getImageData(0, 0, probe.width, probe.height).data;
    const seen = new Set();
    for (let i = 0; i < pixels.length; i += 4 * 97) seen.add(pixels.slice(i, i + 3).join());
    return {count: seen.size, image: canvas.toDataURL()};
}"""


def test_published_model_is_shown_in_3d_and_turns(demo_site, page, user, s3_endpoint):
    from accounts import roles
    from accounts import services as accounts

    moderator = accounts.create_account(
        email="mod@example.org", password="a-long-library-password", role=roles.MODERATOR
    )
    work = make_work(user, title="齿轮", data=samples.stl_binary(), name="gear.stl",
                     kind="model", fmt="stl")  # fmt: skip
    services.submit_for_review(work=work, user=user)
    services.approve(work=work, moderator=moderator)

    page.goto(f"/works/{work.pk}/")
    page.wait_for_selector(".model-viewer[data-viewer-ready=true]")
    before = page.evaluate(DISTINCT_COLOURS)
    assert before["count"] > 3  # a shaded model, not an empty background
    page.get_by_role("button", name="向左转").click()
    after = page.evaluate(DISTINCT_COLOURS)
    assert after["image"] != before["image"]
