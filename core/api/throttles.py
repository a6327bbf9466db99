"""Request limits per signed-in user and per address, counted in the shared cache (Redis in
production), so every web node counts the same. Rates are in settings (REST_FRAMEWORK)."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class PerAddress(AnonRateThrottle):
    scope = "anon"


class PerUser(UserRateThrottle):
    scope = "user"
