"""The one small interface documents' files are kept behind: a folder by default
(`core/documents/folder.py`), an object store for a clinic that wants one. Keys are ours
(random), never a name that came with a file."""

from __future__ import annotations

from typing import Protocol


class StorageFailed(Exception):
    """The store could not keep, give or remove a file (disk full, bucket unreachable)."""


class DocumentStore(Protocol):
    async def put(self, key: str, content: bytes) -> None:
        """Keep `content` under `key` whole, or raise `StorageFailed` and keep nothing."""
        ...

    async def get(self, key: str) -> bytes:
        """The content under `key`; `StorageFailed` when it is not there."""
        ...

    async def delete(self, key: str) -> None:
        """Remove `key`; a key already gone is not an error."""
        ...
