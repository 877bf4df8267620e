"""What messaging needs to know about things owned by the apps above it, answered by those apps.

Messaging sits low so that every app can notify and chat through it; it cannot import the marketplace or
contracts. A chat names its subject by an `"app.Model"` label and its two participants by id. The questions
messaging asks about them are answered by functions the owning apps register when they load
(`marketplace/receivers.py`, `contracts/receivers.py`). Until an app registers, the cautious answer holds:
no such project, no contract.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

PROJECT = "marketplace.Project"
"""The label a chat about a project stores in `Chat.subject_type`."""


@dataclass(frozen=True)
class SubjectKind:
    """How to ask about one kind of chat subject.

    `belongs_to(subject_id, client_id)`: the subject exists and the client owns it (a chat may be about it).
    `titles(ids)`: {id: title} of those subjects, in one query.
    """

    belongs_to: Callable[[int, int], bool]
    titles: Callable[[Iterable[int]], dict[int, str]]


ContractLookup = Callable[[int, int], bool]
"""`(client_id, freelancer_id)`: the two work together under a contract that was not cancelled."""

_kinds: dict[str, SubjectKind] = {}
_contract_lookups: list[ContractLookup] = []


def register_subject(label: str, kind: SubjectKind) -> None:
    """Called once by the app that owns `label` ("app.Model"); registering again replaces the answer."""
    _kinds[label] = kind


def register_contract_lookup(lookup: ContractLookup) -> None:
    """Called once by the app that owns contracts; registering the same function again changes nothing."""
    if lookup not in _contract_lookups:
        _contract_lookups.append(lookup)


def subject_belongs_to(label: str, subject_id: int, client_id: int) -> bool:
    kind = _kinds.get(label)
    return kind is not None and kind.belongs_to(subject_id, client_id)


def subject_titles(label: str, ids: Iterable[int]) -> dict[int, str]:
    kind = _kinds.get(label)
    ids = set(ids)
    if kind is None or not ids:
        return {}
    return kind.titles(ids)


def pair_has_contract(client_id: int, freelancer_id: int) -> bool:
    """Once they have a contract, the two may share contact details in their chats."""
    return any(lookup(client_id, freelancer_id) for lookup in _contract_lookups)
