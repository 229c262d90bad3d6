from minhu.core.routers import Router

from . import views

router = Router()
router.register("wechat-groups", views.GroupViewSet, basename="wechat-group")
router.register("wechat-messages", views.MessageViewSet, basename="wechat-message")

urlpatterns = router.urls
