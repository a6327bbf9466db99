from django.http import HttpRequest


def login_identifier(request: HttpRequest, credentials: dict | None) -> str:
    """What django-axes counts failures against: the email typed into the login form."""
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get("username")
        or credentials.get("login")
        or request.POST.get("login", "")
    )
    return str(value).strip().lower()
