"""An object store in memory, as a clinic's bucket would behave behind
`core.documents.store.DocumentStore`; it can be told to fail its next writes."""

from __future__ import annotations

from core.documents.store import StorageFailed


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail_puts_after: int | None = None  # this many more writes succeed, then fail

    async def put(self, key: str, content: bytes) -> None:
        if self.fail_puts_after is not None:
            if self.fail_puts_after <= 0:
                raise StorageFailed("the bucket is unreachable")
            self.fail_puts_after -= 1
        self.objects[key] = bytes(content)

    async def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise StorageFailed("no such object") from None

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class RecordedCodes:
    """The SMS a `CodeSender` would send: (phone, code, language), newest last; the links
    in `links` as (phone, url, language)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.links: list[tuple[str, str, str]] = []

    async def send_link(self, phone: str, url: str, language: str) -> None:
        self.links.append((phone, url, language))

    async def send_code(self, phone: str, code: str, language: str) -> None:
        self.sent.append((phone, code, language))

    @property
    def last_code(self) -> str:
        return self.sent[-1][1]
