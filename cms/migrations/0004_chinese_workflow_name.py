"""Wagtail's default workflow is created by its own migration with English names ("Moderators
approval" for the workflow and its one task); librarians see those names in the page editor's
buttons and the workflow reports. They are data, not translatable strings, so they are renamed
here (only if they still carry Wagtail's default name: a name an editor chose is kept)."""

from django.db import migrations

DEFAULT = "Moderators approval"
WORKFLOW = "审核发布"
TASK = "审核员审批"


def rename(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name=DEFAULT).update(name=WORKFLOW)
    Task.objects.filter(name=DEFAULT).update(name=TASK)


def restore(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name=WORKFLOW).update(name=DEFAULT)
    Task.objects.filter(name=TASK).update(name=DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_opening_hours"),
        ("wagtailcore", "0048_add_default_workflows"),
    ]

    operations = [migrations.RunPython(rename, restore)]
