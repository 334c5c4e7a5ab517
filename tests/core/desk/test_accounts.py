"""Staff accounts in the core, on SQLite and PostgreSQL: argon2 passwords, throttled
logins, tokens kept only as hashes, and the scope each role gets."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from core.clock import FrozenClock
from core.db.database import Database
from core.desk.accounts import LoginPolicy, NewStaff, StaffAccounts
from core.errors import AuthenticationFailed, Forbidden, InvalidInput, NotFound, Throttled
from core.models import ApiToken, StaffMember, Throttle
from core.throttle import Limit
from core.vocab import Channel, StaffRole
from testkit.staff_desk import FAST_HASHER, PASSWORD, Desk, desk


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> StaffAccounts:
    return StaffAccounts(db, clock, hasher=FAST_HASHER)


@pytest.fixture
async def staff(db: Database, clock: FrozenClock, accounts: StaffAccounts) -> Desk:
    return await desk(db, clock, accounts)


async def test_password_is_kept_as_an_argon2id_hash(db: Database, staff: Desk) -> None:
    async with db.read() as session:
        stored = (await session.execute(select(col(StaffMember.password_hash)))).scalars().all()
    assert len(stored) == 4
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored)


async def test_authenticate_accepts_the_right_password_only(
    accounts: StaffAccounts, staff: Desk
) -> None:
    member = await accounts.authenticate(" Admin ", PASSWORD)
    assert member.id == staff.admin.id
    with pytest.raises(AuthenticationFailed):
        await accounts.authenticate("admin", PASSWORD + "!")
    with pytest.raises(AuthenticationFailed):
        await accounts.authenticate("nobody", PASSWORD)


async def test_an_inactive_account_cannot_log_in(
    db: Database, accounts: StaffAccounts, staff: Desk
) -> None:
    async def deactivate(session):
        member = await session.get_one(StaffMember, staff.admin.id)
        member.active = False

    await db.write(deactivate)
    with pytest.raises(AuthenticationFailed):
        await accounts.authenticate("admin", PASSWORD)


async def test_guessing_is_throttled_per_login_until_the_window_ends(
    db: Database, clock: FrozenClock, staff: Desk
) -> None:
    accounts = StaffAccounts(
        db, clock, hasher=FAST_HASHER, policy=LoginPolicy(per_login=Limit(3, timedelta(minutes=15)))
    )
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            await accounts.authenticate("admin", "wrong password!!", source="10.0.0.1")
    with pytest.raises(Throttled):  # even the right password, until the window ends
        await accounts.authenticate("admin", PASSWORD, source="10.0.0.2")
    assert (await accounts.authenticate("reg", PASSWORD)).id == staff.registrar.id
    clock.advance(timedelta(minutes=16))
    assert (await accounts.authenticate("admin", PASSWORD)).id == staff.admin.id


async def test_right_logins_use_up_no_allowance_and_parallel_guesses_all_count(
    db: Database, clock: FrozenClock, staff: Desk
) -> None:
    import asyncio

    accounts = StaffAccounts(
        db, clock, hasher=FAST_HASHER, policy=LoginPolicy(per_login=Limit(5, timedelta(minutes=15)))
    )
    for _ in range(8):  # a member logging in on several devices in a quarter of an hour
        assert (await accounts.authenticate("admin", PASSWORD, source="10.0.0.3")).id == (
            staff.admin.id
        )
    results = await asyncio.gather(
        *(accounts.authenticate("admin", "wrong password!!") for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Throttled) for r in results) == 3
    with pytest.raises(Throttled):
        await accounts.authenticate("admin", PASSWORD)


async def test_guessing_many_logins_from_one_address_is_throttled(
    db: Database, clock: FrozenClock, staff: Desk
) -> None:
    accounts = StaffAccounts(
        db, clock, hasher=FAST_HASHER, policy=LoginPolicy(per_source=Limit(2, timedelta(hours=1)))
    )
    for login in ("admin", "reg"):
        with pytest.raises(AuthenticationFailed):
            await accounts.authenticate(login, "wrong password!!", source="10.0.0.9")
    with pytest.raises(Throttled):
        await accounts.authenticate("kowalska", PASSWORD, source="10.0.0.9")
    for n in range(20):  # a spray of made-up logins leaves no counter behind
        with pytest.raises(Throttled):
            await accounts.authenticate(f"guess{n}", PASSWORD, source="10.0.0.9")
    async with db.read() as session:
        scopes = (await session.execute(select(col(Throttle.scope)))).scalars().all()
    assert sorted(scopes) == [
        "staff-login-from:10.0.0.9",
        "staff-login:admin",
        "staff-login:reg",
    ]
    assert (await accounts.authenticate("kowalska", PASSWORD, source="10.0.0.8")).id == (
        staff.doctor.id
    )


async def test_tokens_are_kept_as_sha256_only_and_can_be_revoked(
    db: Database, clock: FrozenClock, accounts: StaffAccounts, staff: Desk
) -> None:
    assert staff.registrar.id is not None
    issued = await accounts.issue_token(staff.registrar.id, "lab integration")
    async with db.read() as session:
        row = (await session.execute(select(ApiToken))).scalar_one()
    assert row.token_hash == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.raw not in (row.token_hash, row.prefix, row.name)
    assert issued.raw.startswith(row.prefix)
    assert len(row.prefix) < len(issued.raw) // 3
    assert (await accounts.by_token(issued.raw)).id == staff.registrar.id
    assert (await accounts.tokens(staff.registrar.id))[0].last_used_at == clock.now()
    with pytest.raises(AuthenticationFailed):
        await accounts.by_token(issued.raw[:-1] + ("A" if issued.raw[-1] != "A" else "B"))
    await accounts.revoke_token(staff.registrar.id, issued.id)
    with pytest.raises(AuthenticationFailed):
        await accounts.by_token(issued.raw)
    with pytest.raises(NotFound):
        await accounts.revoke_token(staff.registrar.id, issued.id)


async def test_a_partners_token_opens_the_fhir_api_only_and_only_an_admin_issues_one(
    accounts: StaffAccounts, staff: Desk
) -> None:
    assert staff.admin.id is not None
    assert staff.registrar.id is not None
    issued = await accounts.issue_token(staff.admin.id, "CeR", Channel.LUXMED)
    assert await accounts.partner_by_token(issued.raw) is Channel.LUXMED
    with pytest.raises(AuthenticationFailed):
        await accounts.by_token(issued.raw)  # not the staff API's
    own = await accounts.issue_token(staff.admin.id, "mine")
    with pytest.raises(AuthenticationFailed):
        await accounts.partner_by_token(own.raw)  # nor a member's own token the FHIR API's
    with pytest.raises(Forbidden):
        await accounts.issue_token(staff.registrar.id, "CeR", Channel.LUXMED)
    with pytest.raises(InvalidInput):
        await accounts.issue_token(staff.admin.id, "chat", Channel.TELEGRAM)
    await accounts.revoke_token(staff.admin.id, issued.id)
    with pytest.raises(AuthenticationFailed):
        await accounts.partner_by_token(issued.raw)


async def test_logins_are_unique_and_roles_consistent(accounts: StaffAccounts, staff: Desk) -> None:
    with pytest.raises(InvalidInput):
        await accounts.create(NewStaff("ADMIN", "Someone", StaffRole.ADMIN, PASSWORD))
    with pytest.raises(InvalidInput):
        await accounts.create(NewStaff("doc2", "No Doctor", StaffRole.DOCTOR, PASSWORD))
    with pytest.raises(InvalidInput):
        await accounts.create(NewStaff("short", "Short Password", StaffRole.ADMIN, "short"))


async def test_each_role_gets_its_scope(accounts: StaffAccounts, staff: Desk) -> None:
    admin = await accounts.scope(staff.admin)
    registrar = await accounts.scope(staff.registrar)
    doctor = await accounts.scope(staff.doctor)
    a, b = staff.clinic.branch.id, staff.other_branch.id
    assert (admin.branch_ids, admin.doctor_ids) == (None, None)
    assert (registrar.branch_ids, registrar.doctor_ids) == (frozenset({a}), None)
    assert doctor.doctor_ids == frozenset({staff.clinic.internist.id})
    assert a is not None
    assert b is not None
    for outsider in (registrar, doctor):
        with pytest.raises(Forbidden):
            outsider.check_branch(b)
    admin.check_branch(b)
    registrar.check_branch(a)
