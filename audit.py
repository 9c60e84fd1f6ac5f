"""Writing the audit log: who saw or did what, to which record, when and from where."""
from flask import has_request_context
from flask_login import current_user

from models import AuditEvent


def record(action, obj=None, detail="", user=None, object_type=None, keep_address=True):
    """Append one event; `obj` is the model instance it concerns (case, report, user, ...).

    keep_address=False for what anonymous reporters do: their address is not kept.
    """
    address = ""
    if has_request_context() and keep_address:
        from security import client_address
        address = client_address()
    if has_request_context():
        if user is None:
            user = current_user._get_current_object()  # once: the proxy looks the user up on every use
            if not user.is_authenticated:
                user = None
    AuditEvent.append(
        action=action,
        user_id=user.id if user else None,
        username=user.username if user else "",
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else ""),
        object_id=obj.id if obj is not None else None,
        address=address,
        detail=(detail or "")[:500],
    )
