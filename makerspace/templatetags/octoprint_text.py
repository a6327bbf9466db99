"""OctoPrint's own state text, shown to technicians in their language.

OctoPrint reports its state as English text ("Operational", "Offline after error", "Error:
Thermal Runaway..."). The states it names are a fixed set (OctoPrint's serial connection
states), translated here; an error's own message comes from the printer's firmware and is shown
as it is, marked ``lang="en"`` so that a screen reader reads it in English.
"""

import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

register = template.Library()

STATES = {
    "Offline": pgettext_lazy("OctoPrint state", "Offline"),
    "Opening serial connection": pgettext_lazy("OctoPrint state", "Opening serial connection"),
    "Detecting serial connection": pgettext_lazy("OctoPrint state", "Detecting serial connection"),
    "Detecting serial port": pgettext_lazy("OctoPrint state", "Detecting serial connection"),
    "Detecting baudrate": pgettext_lazy("OctoPrint state", "Detecting serial connection"),
    "Connecting": pgettext_lazy("OctoPrint state", "Connecting"),
    "Operational": pgettext_lazy("OctoPrint state", "Operational"),
    "Starting": pgettext_lazy("OctoPrint state", "Starting"),
    "Starting print from SD": pgettext_lazy("OctoPrint state", "Starting print from SD card"),
    "Starting to send file to SD": pgettext_lazy("OctoPrint state", "Sending file to SD card"),
    "Sending file to SD": pgettext_lazy("OctoPrint state", "Sending file to SD card"),
    "Transferring file to SD": pgettext_lazy("OctoPrint state", "Sending file to SD card"),
    "Printing": pgettext_lazy("OctoPrint state", "Printing"),
    "Printing from SD": pgettext_lazy("OctoPrint state", "Printing from SD card"),
    "Pausing": pgettext_lazy("OctoPrint state", "Pausing"),
    "Paused": pgettext_lazy("OctoPrint state", "Paused"),
    "Resuming": pgettext_lazy("OctoPrint state", "Resuming"),
    "Cancelling": pgettext_lazy("OctoPrint state", "Cancelling"),
    "Finishing": pgettext_lazy("OctoPrint state", "Finishing"),
    "Closed": pgettext_lazy("OctoPrint state", "Connection closed"),
    "Offline after error": pgettext_lazy("OctoPrint state", "Offline after an error"),
    "Unknown State": pgettext_lazy("OctoPrint state", "Unknown state"),
}
# "Error: <firmware message>" and "Offline (Error: <firmware message>)".
ERROR = re.compile(r"^(?:Offline \()?Error:\s*(?P<message>.*?)\)?$", re.DOTALL)
ERROR_LABEL = pgettext_lazy("OctoPrint state", "Error")


@register.filter
def octoprint_text(text: str) -> SafeString:
    """``text`` as OctoPrint sent it -> the technician's language, the firmware's own words
    kept (and marked as English)."""
    text = (text or "").strip()
    if text in STATES:
        return format_html("{}", STATES[text])
    found = ERROR.match(text)
    if found:
        return format_html('{}：<span lang="en">{}</span>', ERROR_LABEL, found["message"])
    if not re.search(r"[A-Za-z]", text) or re.search(r"[\u4e00-\u9fff]", text):
        return format_html("{}", text)  # ours (written in Chinese already) or nothing
    return format_html('<span lang="en">{}</span>', text)
