"""Every route of the public face, in one table."""

from __future__ import annotations

from aiohttp import web

from frontdesk import keys
from frontdesk.public import booking_page, documents, smart, views


def setup_public(app: web.Application) -> None:
    app[keys.PAGES] = views.pages()
    app.router.add_get("/", views.index, name="index")
    app.router.add_get("/healthz", views.healthz, name="healthz")
    app.router.add_get("/api/v1/slots", views.slots, name="slots")
    app.router.add_get("/smart/$bulk-publish", smart.manifest, name="smart_manifest")
    app.router.add_get("/smart/{name}.ndjson", smart.feed_file, name="smart_file")
    app.router.add_get("/b/{token}", booking_page.show, name="booking_link")
    app.router.add_post("/b/{token}", booking_page.book, name="booking_link_book")
    documents.setup_documents(app)
