app_name = "residents"
urlpatterns: list = []
