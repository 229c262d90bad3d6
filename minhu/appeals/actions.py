"""Every state change of an appeal. Each verb: keyword-only `actor`, one transaction, the appeal
row locked, its guard checked, fields saved with update_fields, and an append-only event written
in the same transaction. Views, API, admin, commands and tests all call these.

`actor` is a staff user, or None for the system and for residents acting through their
tracking code (those verbs check the code and phone instead).

The verbs live in `minhu.appeals.verbs`, one module per stage (intake, dispatch, extension,
escalation, handling, followup); this module is the public facade that re-exports them, so
callers import `minhu.appeals.actions` only. Tests that freeze the clock patch
`minhu.appeals.verbs._common._now`."""

from .verbs._common import (  # noqa: F401  (re-exported helpers)
    CLOCK_FIELDS,
    PHONE_RE,
    PUBLIC_CHANNELS,
    UNIT_ROLES,
    _acting_unit,
    _actor_name,
    _appeal_pk,
    _event,
    _iso,
    _lead_assignment,
    _lock,
    _move,
    _now,
    _record_miss,
    _require_centre,
    _require_status,
    _save_attachments,
    _set_dues,
    _sync_clock,
    _text,
    _withdraw_extensions,
)
from .verbs.dispatch import (  # noqa: F401
    _check_handling_units,
    claim,
    dispatch,
    return_appeal,
)
from .verbs.escalation import (  # noqa: F401
    answer_summons,
    blow_whistle,
    cancel_summons,
    report_summons,
)
from .verbs.extension import (  # noqa: F401
    decide_extension,
    request_extension,
)
from .verbs.followup import (  # noqa: F401
    EDITABLE_FIELDS,
    MAX_UNREACHED,
    NOTE_ROLES,
    _after_answer,
    _current_round_follow_ups,
    _reopen,
    add_attachments,
    add_note,
    check_appellant,
    close,
    close_refusal,
    edit_details,
    edit_refusal,
    follow_up_refusal,
    may_add_note,
    rate,
    record_follow_up,
    reopen,
)
from .verbs.handling import (  # noqa: F401
    _sms_appellants,
    add_progress,
    contact_appellant,
    merged_reply,
    reply,
    resolve,
    salutation,
)
from .verbs.intake import (  # noqa: F401
    classify,
    merge,
    register_appeal,
)
