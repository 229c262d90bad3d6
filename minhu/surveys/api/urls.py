from minhu.core.routers import Router

from . import views

router = Router()
router.register("surveys", views.SurveyViewSet, basename="survey")
router.register("survey-answers", views.AnswerViewSet, basename="survey-answer")

urlpatterns = router.urls
