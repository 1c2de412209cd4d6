"""Declaring the attributes retailers may send with a return, each change audited."""

from django.db import transaction

from core.services.audit import audit_record
from intake.models import AttributeDefinition


def _state(definition: AttributeDefinition) -> dict:
    return {
        "name": definition.name,
        "type": definition.type,
        "description": definition.description,
        "active": definition.active,
    }


@transaction.atomic
def attribute_definition_save(*, definition: AttributeDefinition, actor) -> AttributeDefinition:
    """Stores a new or changed declaration. Its name and type are fixed once declared (stored
    returns, rules and models refer to them), so only the description and `active` change."""
    before = None
    if definition.pk is not None:
        stored = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
        if (stored.name, stored.type) != (definition.name, definition.type):
            raise ValueError("An attribute's name and type cannot change once declared.")
        before = _state(stored)
    definition.full_clean()
    definition.save()
    audit_record(
        action="attribute.declare" if before is None else "attribute.change",
        obj=definition,
        actor=actor,
        before=before,
        after=_state(definition),
    )
    return definition
