from minhu.core.routers import Router

from . import views

router = Router()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("category-fields", views.CategoryFieldViewSet, basename="category-field")

urlpatterns = router.urls
