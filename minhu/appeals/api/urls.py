from minhu.core.routers import Router

from . import views
from .collection_points import CollectionPointViewSet

router = Router()
router.register("appeals", views.AppealViewSet, basename="appeal")
router.register("public/appeals", views.PublicAppealViewSet, basename="public-appeal")
router.register("collection-points", CollectionPointViewSet, basename="collection-point")

urlpatterns = router.urls
