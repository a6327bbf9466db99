"""Booking's part of ``/api/v1/`` (mounted by config/api_v1.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("resources/", api.ResourceList.as_view(), name="resources"),
    path("resources/<slug:slug>/", api.ResourceDetail.as_view(), name="resource"),
    path("resources/<slug:slug>/availability/", api.Availability.as_view(), name="availability"),
    path("events/", api.EventList.as_view(), name="events"),
    path("events/<int:pk>/", api.EventDetail.as_view(), name="event"),
    path("events/<int:pk>/book/", api.BookEvent.as_view(), name="book-event"),
    path("me/bookings/", api.MyBookings.as_view(), name="my-bookings"),
    path("me/bookings/<uuid:pk>/", api.MyBooking.as_view(), name="my-booking"),
    path("me/bookings/<uuid:pk>/cancel/", api.CancelBooking.as_view(), name="cancel-booking"),
    path("me/bookings/<uuid:pk>/move/", api.MoveBooking.as_view(), name="move-booking"),
    path("me/bookings/<uuid:pk>/confirm/", api.ConfirmOffer.as_view(), name="confirm-offer"),
    path("events/<int:pk>/waitlist/", api.JoinEventWaitlist.as_view(), name="join-waitlist"),
    path("me/waitlist/", api.MyWaitlist.as_view(), name="my-waitlist"),
    path("me/waitlist/<int:pk>/", api.LeaveWaitlist.as_view(), name="leave-waitlist"),
    path("me/calendar-feed/", api.CalendarFeedAddress.as_view(), name="calendar-feed"),
    path("staff/check-in/", api.CheckIn.as_view(), name="check-in"),
    path("staff/approvals/", api.Approvals.as_view(), name="approvals"),
    path("staff/bookings/<uuid:pk>/decision/", api.Decide.as_view(), name="decide"),
]
