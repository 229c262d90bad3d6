from minhu.core.routers import Router

from . import views

router = Router()
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = router.urls
