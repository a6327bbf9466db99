from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import selectors


def chrome(request: HttpRequest) -> dict:
    """The menus and footer (cms.selectors.chrome), read only by the templates that show them."""
    return {"chrome": SimpleLazyObject(selectors.chrome)}
