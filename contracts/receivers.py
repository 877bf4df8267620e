"""What contracts tell the apps below them (connected in `ContractsConfig.ready`)."""

from messaging import subjects

from .models import Contract, ContractStatus


def pair_has_contract(client_id: int, freelancer_id: int) -> bool:
    """Any contract between the two that was not cancelled: from then on their chats are not masked."""
    return Contract.objects.filter(client_id=client_id, freelancer_id=freelancer_id).exclude(
        status=ContractStatus.CANCELLED).exists()


def connect() -> None:
    subjects.register_contract_lookup(pair_has_contract)
