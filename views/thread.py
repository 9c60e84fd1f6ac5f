"""The public report page's thread on a staff page (partials/_thread.html): the report page, the
complaint page and the answer route render it from the same context."""
import audit
from forms.public import StaffAnswerForm


def thread_context(thread, form=None):
    """What partials/_thread.html needs; logs that staff read the thread."""
    audit.record("thread.view", thread)
    return {"thread": thread, "thread_messages": list(thread.messages_in_order()),
            "answer_form": form or StaffAnswerForm(formdata=None, prefix="thread%d" % thread.id)}
