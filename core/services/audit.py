"""Writing the append-only audit trail."""

from core.models import ApiClient, AuditEvent


def audit_record(
    *,
    action: str,
    obj,
    actor=None,
    actor_label: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    object_type: str = "",
) -> AuditEvent:
    """Records who did `action` to `obj`. `actor` is a user, an ApiClient or None (the system).

    `obj` is None when what was acted on does not exist, as the account a failed login names may
    not: `object_type` then says what kind of thing it was, and the object id is left empty.
    """
    user = actor if actor is not None and not isinstance(actor, ApiClient) else None
    client = actor if isinstance(actor, ApiClient) else None
    if actor_label is None:
        actor_label = user.get_username() if user else f"api:{client.name}" if client else "system"
    return AuditEvent.objects.create(
        actor=user,
        actor_client=client,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        before=before,
        after=after,
    )
