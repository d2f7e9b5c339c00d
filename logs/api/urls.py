from rest_framework.routers import SimpleRouter

from .views import AccessLogEntryViewSet, CallRecordViewSet

app_name = "logs-api"

router = SimpleRouter()
router.register("entries", AccessLogEntryViewSet, basename="entry")
router.register("calls", CallRecordViewSet, basename="call")
urlpatterns = router.urls
