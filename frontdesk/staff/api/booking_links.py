"""`/api/v1/booking-links` and `/api/v1/recall-campaigns`: the desk sends a single-use
booking link to a card, a callback request's number or a case's chat, or to the cards of
a search result (a recall campaign), and reads back who was sent one and who booked.
(A recall list uploaded as a CSV file goes through the dashboard's form.) No answer
carries the link itself: it is a credential for the patient alone."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from pydantic import Field, model_validator

from core.desk.link_sending import MAX_CHOICES, CampaignReport, DeskLinks, LinkChoice
from core.desk.recall_lists import MAX_ROWS
from core.vocab import Channel
from frontdesk import keys
from frontdesk.staff.api.models import Id, Input, Output
from frontdesk.staff.api.openapi import DESK, Api, Call

routes = Api()
TAG = "booking links"


class Choice(Input):
    services: list[Id] = Field(
        default_factory=list, max_length=MAX_CHOICES, description="Empty: any the web books"
    )
    doctors: list[Id] = Field(default_factory=list, max_length=MAX_CHOICES)

    def choice(self) -> LinkChoice:
        return LinkChoice(tuple(self.services), tuple(self.doctors))


class SendLink(Choice):
    patient_id: Id | None = Field(default=None, description="To the card's phone")
    callback_id: Id | None = Field(default=None, description="To the number that asked")
    case_id: Id | None = Field(default=None, description="Into the case's WhatsApp chat")

    @model_validator(mode="after")
    def _one_target(self) -> SendLink:
        targets = (self.patient_id, self.callback_id, self.case_id)
        if sum(t is not None for t in targets) != 1:
            raise ValueError("exactly one of patient_id, callback_id, case_id")
        return self


class SentLinkOut(Output):
    link_id: int
    channel: Channel = Field(description="sms, or whatsapp when the number chats with us")
    expires_at: datetime


class StartCampaign(Choice):
    name: str = Field(min_length=1, max_length=100)
    patient_ids: list[Id] = Field(min_length=1, max_length=MAX_ROWS)


class CampaignOut(Output):
    id: int
    queued: int = Field(description="Links queued, one per number")
    without_phone: int = Field(description="Cards left out: no phone to text")


class CampaignRowOut(Output):
    link_id: int
    patient_id: int | None
    name: str
    phone: str
    delivery: str = Field(description="waiting, sent or failed")
    booked_at: datetime | None = Field(description="The visit booked through the link")


class CampaignReportOut(Output):
    id: int
    name: str
    created_by: str
    created_at: datetime
    links: int
    sent: int
    failed: int
    booked: int
    rows: list[CampaignRowOut]


class CampaignSummary(Output):
    id: int
    name: str
    created_by: str
    created_at: datetime


class CampaignList(Output):
    items: list[CampaignSummary]


def service(request: web.Request) -> DeskLinks:
    return request.app[keys.SERVICES].desk_links


@routes.route(
    "POST",
    "/booking-links",
    summary="Send a single-use booking link to a card, a callback's number or a case",
    tag=TAG,
    roles=DESK,
    body=SendLink,
    response=SentLinkOut,
    status=201,
)
async def send_link(call: Call) -> SentLinkOut:
    b = call.body_as(SendLink)
    desk = service(call.request)
    if b.patient_id is not None:
        sent = await desk.to_card(call.scope, b.patient_id, b.choice())
    elif b.callback_id is not None:
        sent = await desk.for_callback(call.scope, b.callback_id, b.choice())
    else:
        assert b.case_id is not None
        sent = await desk.for_case(call.scope, b.case_id, b.choice())
    return SentLinkOut(link_id=sent.link_id, channel=sent.channel, expires_at=sent.expires_at)


@routes.route(
    "POST",
    "/recall-campaigns",
    summary="Send booking links to the cards of a search result (a recall campaign)",
    tag=TAG,
    roles=DESK,
    body=StartCampaign,
    response=CampaignOut,
    status=201,
)
async def start_campaign(call: Call) -> CampaignOut:
    b = call.body_as(StartCampaign)
    started = await service(call.request).campaign_for_cards(
        call.scope, b.name, b.patient_ids, b.choice()
    )
    return CampaignOut(
        id=started.campaign_id, queued=started.queued, without_phone=started.without_phone
    )


@routes.route(
    "GET",
    "/recall-campaigns",
    summary="The latest recall campaigns",
    tag=TAG,
    roles=DESK,
    response=CampaignList,
)
async def list_campaigns(call: Call) -> CampaignList:
    found = await service(call.request).campaigns(call.scope)
    return CampaignList(
        items=[
            CampaignSummary(
                id=c.id or 0, name=c.name, created_by=c.created_by, created_at=c.created_at
            )
            for c in found
        ]
    )


@routes.route(
    "GET",
    "/recall-campaigns/{campaign_id}",
    summary="A campaign's report: who was sent a link, whether it went, who booked",
    tag=TAG,
    roles=DESK,
    response=CampaignReportOut,
)
async def campaign_report(call: Call) -> CampaignReportOut:
    return report_out(await service(call.request).report(call.scope, call.ids["campaign_id"]))


def report_out(report: CampaignReport) -> CampaignReportOut:
    c = report.campaign
    return CampaignReportOut(
        id=c.id or 0,
        name=c.name,
        created_by=c.created_by,
        created_at=c.created_at,
        links=len(report.rows),
        sent=report.sent,
        failed=report.failed,
        booked=report.booked,
        rows=[CampaignRowOut(**vars(row)) for row in report.rows],
    )
