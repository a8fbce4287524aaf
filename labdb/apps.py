from django.apps import AppConfig


class LabdbConfig(AppConfig):
    name = "labdb"
    verbose_name = "labdb"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        # ``field__any_of=[...]`` (one array parameter on PostgreSQL, labdb.lookups), and the
        # Celery tasks in every process (the services send them by name)
        import labdb.lookups
        import labdb.tasks  # noqa: F401
