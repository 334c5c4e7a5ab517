"""Every route of the dashboard under /staff/, its templates, static files and error pages.

`POST /staff/login` and `POST /staff/logout` belong to `frontdesk.staff.auth`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from frontdesk.staff.dashboard import (
    bookings,
    calls,
    documents,
    inbox,
    lists,
    pages,
    partner_pages,
    settings_pages,
    today,
)
from frontdesk.staff.dashboard.render import TEMPLATES, Templates

STATIC = Path(__file__).resolve().parent / "static"
ID = r"{id:\d{1,10}}"


def setup_dashboard(app: web.Application) -> None:
    app[TEMPLATES] = Templates()
    app[inbox.STOP_STREAMS] = asyncio.Event()
    app.on_shutdown.append(inbox.stop_streams)
    app.middlewares.append(pages.page_errors)
    r = app.router
    r.add_get("/staff/", pages.home, name="staff-home")
    r.add_get("/staff/login", pages.login_form, name="staff-login")
    r.add_post("/staff/language", pages.choose_language, name="staff-language")
    r.add_get("/staff/today", today.today, name="staff-today")
    r.add_post(f"/staff/bookings/{ID}/status", today.set_status, name="staff-status")
    r.add_get("/staff/bookings", bookings.search, name="staff-bookings")
    r.add_get(f"/staff/bookings/{ID}", bookings.booking, name="staff-booking")
    r.add_get(f"/staff/bookings/{ID}/move", bookings.move_choices, name="staff-move-choices")
    r.add_post(f"/staff/bookings/{ID}/move", bookings.move, name="staff-move")
    r.add_post(f"/staff/bookings/{ID}/cancel", bookings.cancel, name="staff-cancel")
    r.add_post(f"/staff/bookings/{ID}/restore", bookings.restore, name="staff-restore")
    r.add_get("/staff/trash", bookings.trash, name="staff-trash")
    r.add_get("/staff/inbox", inbox.inbox, name="staff-inbox")
    r.add_get("/staff/inbox/list", inbox.inbox_list, name="staff-inbox-list")
    r.add_get("/staff/inbox/events", inbox.events, name="staff-inbox-events")
    r.add_get(f"/staff/inbox/{ID}", inbox.case, name="staff-case")
    r.add_post(f"/staff/inbox/{ID}/take", inbox.take, name="staff-case-take")
    r.add_post(f"/staff/inbox/{ID}/reply", inbox.reply, name="staff-case-reply")
    r.add_post(f"/staff/inbox/{ID}/close", inbox.close, name="staff-case-close")
    r.add_get("/staff/callbacks", calls.callbacks, name="staff-callbacks")
    r.add_post(f"/staff/callbacks/{ID}/take", calls.take_callback, name="staff-callback-take")
    r.add_post(f"/staff/callbacks/{ID}/done", calls.finish_callback, name="staff-callback-done")
    r.add_get("/staff/tasks", calls.tasks, name="staff-tasks")
    r.add_post(f"/staff/tasks/{ID}/take", calls.take_task, name="staff-task-take")
    r.add_post(f"/staff/tasks/{ID}/close", calls.close_task, name="staff-task-close")
    r.add_get("/staff/waitlist", lists.waitlist, name="staff-waitlist")
    r.add_get("/staff/schedules", lists.schedules, name="staff-schedules")
    r.add_get("/staff/services", settings_pages.services, name="staff-services")
    r.add_get("/staff/reminders", settings_pages.reminders, name="staff-reminders")
    r.add_post(
        f"/staff/reminders/{ID}/preview", settings_pages.preview, name="staff-reminder-preview"
    )
    r.add_post(f"/staff/reminders/{ID}/save", settings_pages.save, name="staff-reminder-save")
    partner_pages.setup(r)
    documents.setup(r, ID)
    r.add_static("/staff/static/", STATIC, name="staff-static", append_version=True)
