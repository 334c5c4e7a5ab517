"""A staff member's scope: the branches and schedule that every staff query is narrowed by.

A registrar sees the bookings of their branches, a doctor their own schedule,
an admin everything. A booking out of scope is "not found", so nothing is
revealed about other branches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from core.actors import Actor, Reach
from core.errors import Forbidden
from core.vocab import StaffRole


@dataclass(frozen=True)
class StaffScope:
    """What a staff member may see: all branches (None) or some, and a doctor's own id."""

    staff_id: int
    login: str
    role: StaffRole
    branch_ids: frozenset[int] | None
    doctor_id: int | None

    @property
    def reach(self) -> Reach:
        return Reach(self.branch_ids, self.doctor_ids)

    @property
    def actor(self) -> Actor:
        return Actor.staff(self.login, self.reach)

    def require(self, *roles: StaffRole) -> None:
        if self.role not in roles:
            raise Forbidden("your role does not allow this")

    @property
    def doctor_ids(self) -> frozenset[int] | None:
        """The doctors whose schedule this member sees (None: any); for
        `BookingFilter.narrowed` and every other staff query."""
        if self.role is StaffRole.DOCTOR:
            return frozenset() if self.doctor_id is None else frozenset({self.doctor_id})
        return None

    def desk_rows(self, branch_id: Any) -> ColumnElement[bool]:
        """The desk's work kept by branch (callbacks, tasks, call records, the waiting list)
        that this member sees: a registrar their branches' and what belongs to no branch,
        an admin all, a doctor none."""
        if self.role is StaffRole.DOCTOR:
            return false()
        if self.branch_ids is None:
            return true()
        return or_(col(branch_id).is_(None), col(branch_id).in_(sorted(self.branch_ids)))

    def check_branch(self, branch_id: int) -> None:
        """Where a member would put something new (a visit, a waiting-list entry)."""
        self.reach.require_branch(branch_id)
