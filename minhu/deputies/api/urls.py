from minhu.core.routers import Router

from . import views

router = Router()
router.register("deputies", views.DeputyViewSet, basename="deputy")
router.register("deputy-suggestions", views.SuggestionViewSet, basename="deputy-suggestion")

urlpatterns = router.urls
