from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.my_bookings, name="mine"),
    path("grid/", views.grid, name="grid"),
    path("r/<slug:slug>/", views.resource_detail, name="resource"),
    path("r/<slug:slug>/book/", views.book_resource, name="book-resource"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/book/", views.book_event, name="book-event"),
    path("b/<uuid:pk>/", views.booking_detail, name="detail"),
    path("b/<uuid:pk>/cancel/", views.cancel_booking, name="cancel"),
    path("b/<uuid:pk>/move/", views.move_booking, name="move"),
    path("b/<uuid:pk>/confirm/", views.confirm_offer, name="confirm"),
    path("b/<uuid:pk>/booking.ics", views.booking_ics, name="ics"),
    path("waitlist/<int:entry_id>/leave/", views.leave_waitlist, name="leave-waitlist"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("feed/reset/", views.reset_feed, name="feed-reset"),
    path("feed/revoke/", views.revoke_feed, name="feed-revoke"),
    path("staff/", views.staff_calendar, name="staff-calendar"),
    path("staff/check-in/", views.staff_check_in, name="staff-check-in"),
    path("staff/approvals/", views.staff_approvals, name="staff-approvals"),
    path("staff/approvals/<uuid:pk>/", views.staff_decide, name="staff-decide"),
    path("staff/book/", views.staff_book, name="staff-book"),
    # JSON endpoints
]
