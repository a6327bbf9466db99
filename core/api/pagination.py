"""Cursor pagination for every list: stable under inserts, and constant in cost per page."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    ordering = "-pk"


class ByStart(Cursor):
    """Things that happen at a time (events, bookings): soonest first."""

    ordering = ("starts_at", "pk")


class ByName(Cursor):
    ordering = ("name", "pk")


class ByTitle(Cursor):
    ordering = ("title", "pk")


class NewestIssued(Cursor):
    """Badges and certificates: the latest awarded first."""

    ordering = ("-issued_on", "pk")


class NewestPublished(Cursor):
    ordering = ("-published_at", "pk")


class NewestCreated(Cursor):
    ordering = ("-created_at", "pk")


class OldestCreated(Cursor):
    """Queues worked through in order of arrival."""

    ordering = ("created_at", "pk")


class LeastRecentlyUpdated(Cursor):
    ordering = ("updated_at", "pk")
