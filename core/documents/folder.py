"""Documents' files in a folder on disk: written to a temporary name and renamed, so a
failure mid-write leaves no half file under a real key."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

from core.documents.store import StorageFailed

_KEY = re.compile(r"^[a-f0-9]{32,64}$")


class FolderStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):  # our keys are hex: nothing can climb out of the folder
            raise StorageFailed("not a document key")
        return self.root / key[:2] / key

    async def put(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._put, self._path(key), content)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise StorageFailed("the file cannot be read") from exc

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    @staticmethod
    def _put(path: Path, content: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(content)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageFailed("the file cannot be written") from exc
