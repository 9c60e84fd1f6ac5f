"""The forms of a rendered page, read as a browser reads them: where they post and what they send.

The fuzz test starts from these: the fields a page really renders for a role, with the values it
fills in, so a request changes one field of a form the route accepts instead of guessing names.
An element outside a form that htmx sends on its own (data-hx-post, data-hx-get: a checklist
tap, a note, the pupil search) counts as a form too: its own field, its data-hx-vals and what
its data-hx-include names.
"""
import html.parser
import json
import urllib.parse

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

TEXT_TYPES = {"text", "search", "email", "tel", "url", "password", "hidden", "date", "time", "datetime-local",
              "number", "month", "week", "color", "range", ""}


class Control:
    """One named field of a form: its kind (the input's type, select, textarea) and what it holds."""

    def __init__(self, tag, attrs):
        self.tag = tag
        self.name = attrs.get("name")
        self.kind = tag if tag != "input" else (attrs.get("type") or "text").lower()
        self.value = attrs.get("value", "on" if self.kind in ("checkbox", "radio") else "")
        self.checked = "checked" in attrs
        self.required = "required" in attrs
        self.multiple = "multiple" in attrs
        self.disabled = "disabled" in attrs
        self.attrs = attrs
        self.options = []  # a select's (value, selected)

    def __repr__(self):
        return "<%s %s=%r>" % (self.kind, self.name, self.value)


class Form:
    def __init__(self, attrs, page, action=None, method=None):
        self.action = urllib.parse.urljoin(page, action or attrs.get("action") or page)
        self.method = method or (attrs.get("method") or "get").lower()
        self.attrs = attrs
        self.htmx = "data-hx-post" in attrs or "data-hx-get" in attrs
        self.controls = []

    @property
    def path(self):
        """The action without its host (the test client's paths)."""
        parts = urllib.parse.urlsplit(self.action)
        return parts.path + ("?" + parts.query if parts.query else "")

    def names(self):
        return sorted({control.name for control in self.controls if control.name and not control.disabled})

    def submission(self, button=None):
        """The (name, value) pairs a browser sends; with a form's first named submit button, or the one given."""
        pairs = []
        for control in self.controls:
            if not control.name or control.disabled:
                continue
            if control.kind in ("checkbox", "radio"):
                if control.checked:
                    pairs.append((control.name, control.value))
            elif control.kind == "select":
                chosen = [value for value, selected in control.options if selected]
                if not chosen and control.options and not control.multiple:
                    chosen = [control.options[0][0]]
                pairs.extend((control.name, value) for value in chosen)
            elif control.kind in ("submit", "button", "image", "reset", "file"):
                continue
            else:
                pairs.append((control.name, control.value))
        buttons = [control for control in self.controls if control.kind == "submit" and control.name
                   and not control.disabled]
        chosen_button = button or (buttons[0] if buttons else None)
        if chosen_button is not None:
            pairs.append((chosen_button.name, chosen_button.value))
        return pairs

    def __repr__(self):
        return "<form %s %s %s>" % (self.method, self.path, self.names())


class _Reader(html.parser.HTMLParser):
    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms = []
        self._form = None
        self._by_id = {}
        self._orphans = []  # controls with a form= attribute
        self._select = None
        self._option = None
        self._textarea = None
        self._open = []  # the open elements, as [tag, id]
        self._inside = {}  # the controls inside each element with an id
        self._controls_by_id = {}
        self._includes = []  # (htmx form, the selector it includes)

    def handle_starttag(self, tag, attrs):
        attrs = {name: (value if value is not None else "") for name, value in attrs}
        if tag not in VOID:
            self._open.append([tag, attrs.get("id")])
        htmx_form = None
        if tag != "form" and ("data-hx-get" in attrs or (self._form is None and "data-hx-post" in attrs)):
            htmx_form = self._htmx_element(attrs)
        if tag == "form":
            self._form = Form(attrs, self.page)
            self.forms.append(self._form)
            if attrs.get("id"):
                self._by_id[attrs["id"]] = self._form
        elif tag in ("input", "select", "textarea", "button"):
            control = Control(tag, attrs)
            if tag == "button":
                control.kind = (attrs.get("type") or "submit").lower()
            owner = self._form
            if attrs.get("form"):
                self._orphans.append((attrs["form"], control))
                owner = None
            if owner is not None:
                owner.controls.append(control)
            if htmx_form is not None:
                htmx_form.controls.append(control)
            for _, element_id in self._open[:-1] if tag not in VOID else self._open:
                if element_id:
                    self._inside.setdefault(element_id, []).append(control)
            if attrs.get("id"):
                self._controls_by_id[attrs["id"]] = control
            if tag == "select":
                self._select = control
            elif tag == "textarea":
                self._textarea = control
                control.value = ""
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [attrs.get("value"), "selected" in attrs, ""]
            self._select.options.append(self._option)

    def _htmx_element(self, attrs):
        """An element htmx sends on its own: its own field, its data-hx-vals, what it includes."""
        method = "post" if "data-hx-post" in attrs else "get"
        form = Form(attrs, self.page, action=attrs["data-hx-" + method], method=method)
        self.forms.append(form)
        for name, value in json.loads(attrs.get("data-hx-vals") or "{}").items():
            form.controls.append(Control("input", {"type": "hidden", "name": name, "value": str(value)}))
        for selector in (attrs.get("data-hx-include") or "").split(","):
            if selector.strip().startswith("#"):
                self._includes.append((form, selector.strip()[1:]))
        return form

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "option":
            self._close_option()
        elif tag == "textarea":
            if self._textarea is not None:  # a browser drops the newline that follows <textarea>
                value = self._textarea.value
                self._textarea.value = value[2:] if value.startswith("\r\n") else (
                    value[1:] if value.startswith("\n") else value)
            self._textarea = None

    def _close_option(self):
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            index = self._select.options.index(self._option)
            self._select.options[index] = (text.strip() if value is None else value, selected)
        self._option = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option[2] += data

    def close(self):
        super().close()
        for form_id, control in self._orphans:
            if form_id in self._by_id:
                self._by_id[form_id].controls.append(control)
        for form, element_id in self._includes:
            if element_id in self._controls_by_id:
                form.controls.append(self._controls_by_id[element_id])
            form.controls.extend(self._inside.get(element_id, []))


def forms_of(html, page):
    """Every form of a page's html; their actions are made whole against the page's path."""
    reader = _Reader(page)
    reader.feed(html)
    reader.close()
    return reader.forms
