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
    catalog_names,
    documents,
    grid,
    inbox,
    lists,
    no_shows,
    pages,
    partner_pages,
    patient_pages,
    recall,
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
    r.add_get(
        f"/staff/bookings/{ID}/move/confirm", bookings.confirm_move, name="staff-move-confirm"
    )
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
    r.add_get("/staff/no-shows", no_shows.report, name="staff-no-shows")
    r.add_get("/staff/waitlist", lists.waitlist, name="staff-waitlist")
    r.add_get("/staff/schedules", lists.schedules, name="staff-schedules")
    r.add_get("/staff/reminders", settings_pages.reminders, name="staff-reminders")
    r.add_post(
        f"/staff/reminders/{ID}/preview", settings_pages.preview, name="staff-reminder-preview"
    )
    r.add_post(f"/staff/reminders/{ID}/save", settings_pages.save, name="staff-reminder-save")
    r.add_post("/staff/booking-links", recall.send_link, name="staff-booking-link")
    r.add_get("/staff/recall", recall.campaigns, name="staff-recall")
    r.add_post("/staff/recall", recall.upload, name="staff-recall-upload")
    r.add_get(f"/staff/recall/{ID}", recall.report, name="staff-recall-report")
    partner_pages.setup(r)
    desk_pages(r)
    documents.setup(r, ID)
    catalog_names.setup(r, ID)
    r.add_static("/staff/static/", STATIC, name="staff-static", append_version=True)


def desk_pages(r: web.UrlDispatcher) -> None:
    """The booking grid and the patients' cards."""
    r.add_get("/staff/grid", grid.grid, name="staff-grid")
    r.add_get("/staff/grid/book", grid.book_form, name="staff-grid-book-form")
    r.add_post("/staff/grid/book", grid.book, name="staff-grid-book")
    r.add_get("/staff/grid/move", grid.move_confirm, name="staff-grid-move-confirm")
    r.add_post("/staff/grid/move", grid.move, name="staff-grid-move")
    r.add_get("/staff/patients", patient_pages.patients, name="staff-patients")
    r.add_get(f"/staff/patients/{ID}", patient_pages.card, name="staff-patient")
    r.add_get(f"/staff/patients/{ID}/code", patient_pages.code_page, name="staff-patient-code-get")
    r.add_post(f"/staff/patients/{ID}/code", patient_pages.issue_code, name="staff-patient-code")
    r.add_post(f"/staff/patients/{ID}/verify", patient_pages.verify, name="staff-patient-verify")
    r.add_get(
        f"/staff/patients/{ID}/merge", patient_pages.merge_choices, name="staff-patient-merge-form"
    )
    r.add_post(f"/staff/patients/{ID}/merge", patient_pages.merge, name="staff-patient-merge")
