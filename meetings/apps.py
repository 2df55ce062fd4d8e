from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = "Meetings"

    def ready(self) -> None:
        from meetings.booking_context import booking_context_signals_connect

        booking_context_signals_connect()
