from minhu.core.routers import Router

from . import views

router = Router()
router.register("open311-keys", views.ApiKeyViewSet, basename="open311-key")
router.register("open311-key-uses", views.KeyUseViewSet, basename="open311-key-use")

urlpatterns = router.urls
