"""A phone call walked as Twilio walks it: signed form posts to our voice webhooks, each
TwiML answer parsed, its Gather's action followed with keys or speech, its Redirect
followed on silence, its Enqueue's wait URL and action followed while queued."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from aiohttp.test_utils import TestClient

from testkit.fakes.twilio import PATIENT, VOICE_NUMBER, call_sid, sign, voice_call

PUBLIC = "https://clinic.example"


class Phone:
    def __init__(
        self, client: TestClient[Any, Any], *, caller: str = PATIENT, called: str = VOICE_NUMBER
    ) -> None:
        self.client = client
        self.caller = caller
        self.called = called
        self.sid = call_sid()
        self.twiml: ElementTree.Element = ElementTree.Element("Response")
        self.heard: list[str] = []  # everything said to the caller, in order
        self.queue_wait: ElementTree.Element | None = None

    async def post(self, url: str, **fields: str) -> ElementTree.Element:
        """A signed webhook to `url` (a path, as our TwiML gives them); the TwiML back."""
        form = voice_call(self.sid, caller=self.caller, called=self.called, **fields)
        headers = {"X-Twilio-Signature": sign(PUBLIC + url, form)}
        response = await self.client.post(url, data=form, headers=headers)
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        root = ElementTree.fromstring(await response.text())  # noqa: S314 (our own TwiML)
        assert root.tag == "Response"
        self.heard.extend(s.text or "" for s in root.iter("Say"))
        return root

    async def dial(self) -> ElementTree.Element:
        self.twiml = await self.post("/twilio/voice")
        return self.twiml

    def gather(self) -> ElementTree.Element:
        gather = self.twiml.find("Gather")
        assert gather is not None, self.verbs()
        return gather

    def verbs(self) -> list[str]:
        return [verb.tag for verb in self.twiml]

    def said(self) -> str:
        """What the last answer said, prompts inside its Gather included."""
        return " ".join(s.text or "" for s in self.twiml.iter("Say"))

    async def press(self, digits: str) -> ElementTree.Element:
        action = self.gather().get("action")
        assert action
        self.twiml = await self.post(action, Digits=digits)
        return self.twiml

    async def say(self, speech: str) -> ElementTree.Element:
        gather = self.gather()
        assert "speech" in (gather.get("input") or ""), "this prompt does not listen"
        self.twiml = await self.post(
            gather.get("action") or "", SpeechResult=speech, Confidence="0.91"
        )
        return self.twiml

    async def silence(self) -> ElementTree.Element:
        """The Gather timed out: Twilio goes on to the Redirect after it."""
        assert self.verbs()[-1] == "Redirect", self.verbs()
        redirect = self.twiml.find("Redirect")
        assert redirect is not None
        assert redirect.text
        self.twiml = await self.post(redirect.text)
        return self.twiml

    def enqueue(self) -> ElementTree.Element:
        enqueue = self.twiml.find("Enqueue")
        assert enqueue is not None, self.verbs()
        return enqueue

    async def wait_in_queue(self, seconds: int, position: int = 1) -> ElementTree.Element:
        """Twilio plays the wait URL to a queued caller, again and again."""
        wait_url = self.enqueue().get("waitUrl") or ""
        self.queue_wait = await self.post(
            wait_url, QueuePosition=str(position), QueueTime=str(seconds), CurrentQueueSize="3"
        )
        return self.queue_wait

    async def press_while_waiting(self, digits: str) -> ElementTree.Element:
        assert self.queue_wait is not None
        gather = self.queue_wait.find("Gather")
        assert gather is not None
        return await self.post(gather.get("action") or "", Digits=digits)

    async def leave_queue(self, result: str, seconds: int = 90) -> ElementTree.Element:
        """The Enqueue's action, with how the caller left the queue."""
        action = self.enqueue().get("action") or ""
        self.twiml = await self.post(action, QueueResult=result, QueueTime=str(seconds))
        return self.twiml

    async def hang_up(self, duration: int = 60) -> None:
        await self.post("/twilio/voice/status", status="completed", CallDuration=str(duration))
