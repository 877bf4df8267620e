"""Contracts made through the real services: a project posted, a proposal sent and accepted."""

from contracts.demo import paid_milestone
from contracts.services import contract_complete, proposal_accept
from marketplace.tests.factories import make_project, make_proposal


def make_contract(client, freelancer, *, completed=False, **project_overrides):
    project = make_project(client, **project_overrides)
    proposal = make_proposal(freelancer, project)
    contract = proposal_accept(proposal=proposal, by=client)
    if completed:
        paid_milestone(contract, amount="500.00", title="Delivered work")
        contract = contract_complete(contract=contract, by=client)
    return contract
