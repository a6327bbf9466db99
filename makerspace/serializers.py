"""What the API shows of print jobs and the print farm."""

from __future__ import annotations

from rest_framework import serializers

from .models import JobStatus, Printer, PrinterState, PrintJob


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
