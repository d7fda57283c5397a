"""Follow-up tasks under /tasks/ on an organization's host (namespace `tasks`): the list, and
marking a task done or open again. A task is added from its donor's page."""

from django.urls import path

from tenant_apps.donors.views import tasks

app_name = "tasks"

urlpatterns = [
    path("", tasks.task_index, name="index"),
    path("<int:pk>/done/", tasks.task_done, name="done"),
    path("<int:pk>/reopen/", tasks.task_open_again, name="reopen"),
]
