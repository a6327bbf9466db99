from django.http import HttpRequest

from .preferences import display_preferences_for


def display_preferences(request: HttpRequest) -> dict:
    return {"display": display_preferences_for(request)}
