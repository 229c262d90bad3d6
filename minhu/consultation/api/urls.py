from minhu.core.routers import Router

from . import views

router = Router()
router.register("consultation/rooms", views.RoomViewSet, basename="consultation-room")
router.register("consultation/topics", views.TopicViewSet, basename="consultation-topic")
router.register("consultation/meetings", views.MeetingViewSet, basename="consultation-meeting")

urlpatterns = router.urls
