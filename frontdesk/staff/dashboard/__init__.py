"""The staff dashboard: server-rendered pages for the registration desk under /staff/."""

from frontdesk.staff.dashboard.routes import setup_dashboard

__all__ = ["setup_dashboard"]
