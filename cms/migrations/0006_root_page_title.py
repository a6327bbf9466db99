"""The tree's root page is titled "Root" by Wagtail; staff see it in the admin's breadcrumbs
and explorer, so it gets a Chinese title (it is never shown to visitors)."""

from django.db import migrations


def rename(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Page.objects.filter(depth=1, title="Root").update(title="全部站点", draft_title="全部站点")


def restore(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    Page.objects.filter(depth=1, title="全部站点").update(title="Root", draft_title="Root")


class Migration(migrations.Migration):
    dependencies = [("cms", "0005_english_link_labels"), ("wagtailcore", "0002_initial_data")]

    operations = [migrations.RunPython(rename, restore)]
