from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.translation import gettext
from wagtail import hooks


@hooks.register("insert_global_admin_css")
def admin_css() -> str:
    """CJK-friendly font stack in the admin, matching the public site."""
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))


@hooks.register("after_edit_page")
def stay_in_the_site_after_publishing(request, page):
    """After publishing, Wagtail shows the listing of the page's parent. For the home page
    that is the tree's root ("Root"), a technical level librarians neither need nor may use:
    they go to the home page's own listing instead, with Wagtail's "published" message."""
    next_url = request.GET.get("next") or request.POST.get("next")
    if "action-publish" in request.POST and page.depth <= 2 and not next_url:
        return redirect("wagtailadmin_explore", page.pk)
    return None


@hooks.register("insert_global_admin_js")
def admin_words() -> str:
    """Two words Wagtail's templates leave in English (site/static/js/admin-i18n.js)."""
    words = {"search": gettext("Search"), "actions": gettext("Actions")}
    return json_script(words, "admin-i18n") + format_html(
        '<script src="{}" defer></script>', static("js/admin-i18n.js")
    )


@hooks.register("before_serve_page")
def record_page_view(page, request, serve_args, serve_kwargs):
    """A visitor opened a page of the site: one event in the activity record (returning
    nothing lets Wagtail serve the page as usual). Previews and form posts are not views."""
    if request.method == "GET" and not getattr(request, "is_preview", False):
        from core.insight import services as insight

        insight.record_soon("page.viewed", user=request.user, subject=page)
