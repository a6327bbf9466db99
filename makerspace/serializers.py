"""What the API shows of print jobs and the print farm."""

from __future__ import annotations

from rest_framework import serializers

from .models import Equipment, JobStatus, Material, Printer, PrinterState, PrintJob


class PrintJobSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=JobStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    printer = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = PrintJob
        fields = [
            "id",
            "title",
            "status",
            "status_label",
            "printer",
            "progress",
            "seconds_left",
            "estimated_seconds",
            "filament_g",
            "reason",
            "submitted_at",
        ]
        read_only_fields = fields


class FarmPrinterSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__")
    state = serializers.ChoiceField(choices=PrinterState.choices)
    state_label = serializers.CharField(source="get_state_display")
    cleared = serializers.BooleanField(source="is_cleared")
    utilisation_percent = serializers.SerializerMethodField()
    job = PrintJobSerializer(source="current_job", allow_null=True)
    next = serializers.SerializerMethodField()

    class Meta:
        model = Printer
        fields = [
            "id",
            "name",
            "state",
            "state_label",
            "state_text",
            "material",
            "colour",
            "cleared",
            "needs_attention",
            "attention_reason",
            "utilisation_percent",
            "job",
            "next",
        ]
        read_only_fields = fields

    def get_utilisation_percent(self, printer: Printer) -> float:
        return round(printer.utilisation, 1)

    def get_next(self, printer: Printer) -> list[str]:
        return [str(job.pk) for job in printer.next_jobs]


class FarmSerializer(serializers.Serializer):
    printers = FarmPrinterSerializer(many=True)
    queued = serializers.IntegerField()
    paused = serializers.BooleanField()


class EquipmentSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.name")
    resource = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Book it as this resource."
    )

    class Meta:
        model = Equipment
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "description",
            "location",
            "room",
            "status",
            "resource",
        ]
        read_only_fields = fields


class NewPrintJobSerializer(serializers.Serializer):
    """A multipart form: the model or G-code file and the print's options."""

    file = serializers.FileField(help_text="STL or 3MF (sliced here) or G-code (checked).")
    title = serializers.CharField(max_length=120)
    profile = serializers.CharField(max_length=60, help_text="A printer type of the farm.")
    material = serializers.ChoiceField(Material.choices)
    colour = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=20, default=1)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(["approve", "reject"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    priority = serializers.IntegerField(min_value=-100, max_value=100, required=False)


class MoveJobSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(["up", "down"])


class PinSerializer(serializers.Serializer):
    printer = serializers.IntegerField(
        min_value=1, allow_null=True, help_text="A printer's id, or null to unpin."
    )


class PauseSerializer(serializers.Serializer):
    paused = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
