"""Staff accounts: argon2 passwords with throttled logins, hashed API tokens, and each
member's scope (core/desk/scope.py: branches, own schedule) read from their account.

A token is either the member's own (the staff API) or scoped to a partner (the FHIR
scheduling API, acting as that partner's channel): each opens its API only, so a
partner's integration never holds the desk's powers.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.actors import Actor
from core.clock import Clock
from core.db.database import Database
from core.desk.scope import StaffScope
from core.errors import AuthenticationFailed, Forbidden, InvalidInput, NotFound, Throttled
from core.messaging.templates import LANGUAGES
from core.models import ApiToken, Branch, Doctor, StaffBranch, StaffMember
from core.throttle import Limit, bump, refund
from core.vocab import Channel, StaffRole

TOKEN_PREFIX = "fdk_"  # noqa: S105  (marks our tokens, not a secret)
SHOWN_PREFIX_CHARS = 12
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
LOGIN_CHARS = 100
# What a token may be narrowed to (None: everything its owner may do). A laboratory's
# token adds documents to cards and reads nothing, not even what it added.
ADD_DOCUMENTS = "documents:add"
TOKEN_SCOPES = (ADD_DOCUMENTS,)
# last_used_at is refreshed at most this often: a token in use is not a write per request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginPolicy:
    """Guesses allowed per account and per client address before logins are refused."""

    per_login: Limit = Limit(5, timedelta(minutes=15))
    per_source: Limit = Limit(30, timedelta(minutes=15))


@dataclass(frozen=True)
class NewStaff:
    login: str
    display_name: str
    role: StaffRole
    password: str
    doctor_id: int | None = None
    branch_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TokenHolder:
    """The member behind a token, and what the token is narrowed to (None: nothing)."""

    member: StaffMember
    scope: str | None


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: `raw` is shown once and never stored."""

    id: int
    raw: str
    prefix: str


def token_hash(raw: str) -> str:
    """Tokens are long random strings: a plain SHA-256 is enough and lets us look them up."""
    return hashlib.sha256(raw.encode()).hexdigest()


def session_key(member: StaffMember) -> str:
    """A short fingerprint of the password hash: a web session carries it, so changing the
    password ends every session signed before."""
    return hashlib.sha256(member.password_hash.encode()).hexdigest()[:16]


class StaffAccounts:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        hasher: PasswordHasher | None = None,
        policy: LoginPolicy | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or LoginPolicy()
        # Verified when the login is unknown, so a wrong login costs as long as a wrong password.
        self._decoy: str | None = None

    async def create(self, new: NewStaff) -> StaffMember:
        login = _clean_login(new.login)
        name = new.display_name.strip()
        if not name or len(name) > 200:
            raise InvalidInput("a display name (at most 200 characters) is required")
        _check_password(new.password)
        if new.role is StaffRole.DOCTOR and new.doctor_id is None:
            raise InvalidInput("a doctor's account needs the doctor it belongs to")
        if new.role is not StaffRole.DOCTOR and new.doctor_id is not None:
            raise InvalidInput("only a doctor's account names a doctor")
        if new.role is not StaffRole.REGISTRAR and new.branch_ids:
            raise InvalidInput("only registrars are limited to branches")
        password_hash = await asyncio.to_thread(self.hasher.hash, new.password)
        now = self.clock.now()

        async def work(session: AsyncSession) -> StaffMember:
            if new.doctor_id is not None and await session.get(Doctor, new.doctor_id) is None:
                raise NotFound("no such doctor")
            for branch_id in new.branch_ids:
                if await session.get(Branch, branch_id) is None:
                    raise NotFound("no such branch")
            member = StaffMember(
                login=login,
                display_name=name,
                role=new.role,
                doctor_id=new.doctor_id,
                password_hash=password_hash,
                created_at=now,
            )
            session.add(member)
            try:
                await session.flush()
            except IntegrityError:
                raise InvalidInput("this login is taken", field="login") from None
            assert member.id is not None
            for branch_id in sorted(set(new.branch_ids)):
                session.add(StaffBranch(staff_id=member.id, branch_id=branch_id))
            return member

        return await self.db.write(work)

    async def authenticate(
        self, login: str, password: str, *, source: str | None = None
    ) -> StaffMember:
        """The active member with this login and password, or `AuthenticationFailed`.

        Every attempt counts against the login and the client address (`source`)
        before the password is checked, in its own committed transaction, so
        parallel guesses all count; past the limit the answer is `Throttled`. A right
        password gives its attempt back: only failures use up the allowance.
        """
        login = login.strip().casefold()[:LOGIN_CHARS]
        now = self.clock.now()

        scopes = [f"staff-login:{login}"]
        if source is not None:
            scopes.insert(0, f"staff-login-from:{source[:80]}")

        async def count(session: AsyncSession) -> bool:
            # The address first: a spray of made-up logins from one address stops there,
            # without a counter row for every name it tries.
            if source is not None and not await bump(
                session, scopes[0], self.policy.per_source, now
            ):
                return False
            return await bump(session, scopes[-1], self.policy.per_login, now)

        async def give_back(session: AsyncSession) -> None:
            for scope in scopes:
                await refund(session, scope)

        if not await self.db.write(count):
            raise Throttled("too many login attempts: try again later")
        async with self.db.read() as session:
            member = (
                await session.execute(select(StaffMember).where(col(StaffMember.login) == login))
            ).scalar_one_or_none()
        if member is not None:
            stored = member.password_hash
        else:
            if self._decoy is None:
                self._decoy = await asyncio.to_thread(self.hasher.hash, secrets.token_urlsafe(16))
            stored = self._decoy
        if len(password) > MAX_PASSWORD_CHARS or not await asyncio.to_thread(
            self._verify, stored, password
        ):
            raise AuthenticationFailed("wrong login or password")
        if member is None or not member.active:
            raise AuthenticationFailed("wrong login or password")
        await self.db.write(give_back)
        if self.hasher.check_needs_rehash(member.password_hash):
            await self._store_hash(member, await asyncio.to_thread(self.hasher.hash, password))
        return member

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def set_password(self, staff_id: int, password: str) -> None:
        _check_password(password)
        member = await self.get(staff_id)
        await self._store_hash(member, await asyncio.to_thread(self.hasher.hash, password))

    async def set_language(self, staff_id: int, language: str) -> None:
        """The language the member reads the dashboard in, kept on their account so it
        follows them to any browser."""
        if language not in LANGUAGES:
            raise InvalidInput("unknown language", field="language")

        async def work(session: AsyncSession) -> None:
            done = await session.execute(
                update(StaffMember).where(col(StaffMember.id) == staff_id).values(language=language)
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("no such staff member")

        await self.db.write(work)

    async def set_active(self, staff_id: int, active: bool) -> StaffMember:
        """Close (or reopen) an account: a closed one can neither log in nor use its tokens,
        and its open sessions end at their next request."""

        async def work(session: AsyncSession) -> StaffMember:
            member = await session.get(StaffMember, staff_id, with_for_update=True)
            if member is None:
                raise NotFound("no such staff member")
            member.active = active
            return member

        return await self.db.write(work)

    async def _store_hash(self, member: StaffMember, password_hash: str) -> None:
        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(StaffMember)
                .where(col(StaffMember.id) == member.id)
                .values(password_hash=password_hash)
            )

        await self.db.write(work)
        member.password_hash = password_hash

    async def get(self, staff_id: int) -> StaffMember:
        async with self.db.read() as session:
            member = await session.get(StaffMember, staff_id)
        if member is None:
            raise NotFound("no such staff member")
        return member

    async def members(self, *, limit: int, offset: int) -> list[StaffMember]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(StaffMember).order_by(col(StaffMember.id)).limit(limit).offset(offset)
            )
            return list(rows.scalars())

    async def display_names(self, logins: Iterable[str]) -> dict[str, str]:
        """Login to display name, for the change history and the inbox."""
        wanted = sorted(set(logins))
        if not wanted:
            return {}
        async with self.db.read() as session:
            rows = await session.execute(
                select(col(StaffMember.login), col(StaffMember.display_name)).where(
                    col(StaffMember.login).in_(wanted)
                )
            )
            return {str(login): str(name) for login, name in rows.all()}

    async def scope(self, member: StaffMember) -> StaffScope:
        assert member.id is not None
        branches: frozenset[int] | None = None
        if member.role is StaffRole.REGISTRAR:
            async with self.db.read() as session:
                rows = await session.execute(
                    select(col(StaffBranch.branch_id)).where(col(StaffBranch.staff_id) == member.id)
                )
                branches = frozenset(rows.scalars())
        return StaffScope(
            staff_id=member.id,
            login=member.login,
            role=member.role,
            branch_ids=branches,
            doctor_id=member.doctor_id,
        )

    # -- API tokens ------------------------------------------------------------

    async def issue_token(
        self,
        staff_id: int,
        name: str,
        partner: Channel | None = None,
        scope: str | None = None,
    ) -> IssuedToken:
        """A new token of the member; with `partner`, one for that partner's integration
        (an admin's to give: it books as the partner); with `scope`, one that opens only
        that (a laboratory's `documents:add`)."""
        name = name.strip()
        if not name or len(name) > 100:
            raise InvalidInput("a token name (at most 100 characters) is required")
        if partner is not None:
            try:
                Actor.partner(partner)
            except ValueError:
                raise InvalidInput("not a partner", field="partner") from None
        if scope is not None and scope not in TOKEN_SCOPES:
            raise InvalidInput("unknown token scope", field="scope")
        if partner is not None and scope is not None:
            raise InvalidInput("a token is a partner's or scoped, not both", field="scope")
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        prefix = raw[:SHOWN_PREFIX_CHARS]
        now = self.clock.now()

        async def work(session: AsyncSession) -> IssuedToken:
            member = await session.get(StaffMember, staff_id)
            if member is None or not member.active:
                raise NotFound("no such staff member")
            if partner is not None and member.role is not StaffRole.ADMIN:
                raise Forbidden("only an admin issues a partner's token")
            token = ApiToken(
                staff_id=staff_id,
                name=name,
                prefix=prefix,
                token_hash=token_hash(raw),
                scope=scope,
                created_at=now,
                partner=partner,
            )
            session.add(token)
            await session.flush()
            assert token.id is not None
            return IssuedToken(id=token.id, raw=raw, prefix=prefix)

        return await self.db.write(work)

    async def revoke_token(self, staff_id: int, token_id: int) -> None:
        async def work(session: AsyncSession) -> None:
            done = await session.execute(
                update(ApiToken)
                .where(
                    col(ApiToken.id) == token_id,
                    col(ApiToken.staff_id) == staff_id,
                    col(ApiToken.revoked_at).is_(None),
                )
                .values(revoked_at=self.clock.now())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("no such token")

        await self.db.write(work)

    async def tokens(self, staff_id: int) -> list[ApiToken]:
        async with self.db.read() as session:
            rows = await session.execute(
                select(ApiToken)
                .where(col(ApiToken.staff_id) == staff_id)
                .order_by(col(ApiToken.id))
            )
            return list(rows.scalars())

    async def by_token(self, raw: str) -> StaffMember:
        """The active member behind a live token of their own, or `AuthenticationFailed`
        (a partner's token included: it opens the FHIR API only)."""
        return (await self.token_holder(raw)).member

    async def token_holder(self, raw: str) -> TokenHolder:
        """The active member behind a live token of their own and the token's scope, or
        `AuthenticationFailed` (a partner's token included)."""
        token, member = await self._live(raw)
        if token.partner is not None:
            raise AuthenticationFailed("unknown or revoked token")
        return TokenHolder(member, token.scope)

    async def partner_by_token(self, raw: str) -> Channel:
        """The partner a live partner-scoped token acts for, or `AuthenticationFailed`
        (a member's own token included)."""
        token, _ = await self._live(raw)
        if token.partner is None:
            raise AuthenticationFailed("unknown or revoked token")
        return token.partner

    async def _live(self, raw: str) -> tuple[ApiToken, StaffMember]:
        """A live token and its active member; one answer for every refusal."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            raise AuthenticationFailed("unknown or revoked token")
        digest = token_hash(raw)
        now = self.clock.now()
        async with self.db.read() as session:
            row = (
                await session.execute(
                    select(ApiToken, StaffMember)
                    .join(StaffMember, col(StaffMember.id) == col(ApiToken.staff_id))
                    .where(
                        col(ApiToken.token_hash) == digest,
                        col(ApiToken.revoked_at).is_(None),
                        col(StaffMember.active).is_(True),
                    )
                )
            ).first()
        if row is None:
            raise AuthenticationFailed("unknown or revoked token")
        token, member = row
        if token.last_used_at is None or token.last_used_at <= now - TOKEN_TOUCH_EVERY:
            await self._touch(token.id, now)
        return token, member

    async def _touch(self, token_id: int | None, now: datetime) -> None:
        async def work(session: AsyncSession) -> None:
            await session.execute(
                update(ApiToken)
                .where(
                    and_(
                        col(ApiToken.id) == token_id,
                        col(ApiToken.revoked_at).is_(None),
                    )
                )
                .values(last_used_at=now)
            )

        await self.db.write(work)


def _clean_login(login: str) -> str:
    login = login.strip().casefold()
    if not login or len(login) > LOGIN_CHARS or any(ch.isspace() for ch in login):
        raise InvalidInput("a login is one word of at most 100 characters", field="login")
    return login


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
            field="password",
        )
