"""The reservation engine for spaces, equipment, studios, events and human-library sessions, with
rules the database enforces (issue 4)."""
