from django.urls import path

from . import api

urlpatterns = [
    path("learning-paths/", api.PathList.as_view(), name="learning-paths"),
    path("learning-paths/<int:pk>/", api.PathDetail.as_view(), name="learning-path"),
    path("courses/", api.CourseList.as_view(), name="courses"),
    path("courses/<int:pk>/", api.CourseDetail.as_view(), name="course"),
    path("courses/<int:pk>/enrol/", api.Enrol.as_view(), name="enrol"),
    path("lessons/<int:pk>/", api.LessonDetail.as_view(), name="lesson"),
    path("lessons/<int:pk>/quizzes/<slug:quiz>/answers/", api.AnswerQuiz.as_view(), name="quiz"),
    path("me/courses/", api.MyCourses.as_view(), name="my-courses"),
    path("me/progress/", api.Progress.as_view(), name="progress"),
    path("me/badges/", api.MyBadges.as_view(), name="my-badges"),
    path("me/certificates/", api.MyCertificates.as_view(), name="my-certificates"),
]
