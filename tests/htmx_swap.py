"""An htmx answer swapped into the page that asked for it, as htmx swaps it, for the HTML checker to read
the page it makes (tests/test_valid_html.py): the answer's out-of-band parts (data-hx-swap-oob) replace
the elements with their ids, the rest goes to the asking element's target (data-hx-target, inherited from
its ancestors as htmx does: "this", "#id" or "find .class"; HX-Retarget overrides it) by its swap
(data-hx-swap or HX-Reswap: outerHTML, innerHTML, beforeend, afterend...; innerHTML by default).
"""
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    """A tag in the text: where it starts, where its content starts and ends, where it ends."""

    def __init__(self, tag, attrs, start, inner_start, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.start, self.inner_start = start, inner_start
        self.inner_end = self.end = inner_start  # a void element has no content

    def inherited(self, name):
        """(the element that carries the attribute, its value): this one or its nearest ancestor."""
        node = self
        while node is not None:
            if name in node.attrs:
                return node, node.attrs[name]
            node = node.parent
        return None, None

    def classes(self):
        return (self.attrs.get("class") or "").split()


class Tree(HTMLParser):
    """The elements of an HTML text with their places in it."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.elements, self.stack = [], []
        self.feed(text)
        self.close()

    def _offset(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        element = Element(tag, dict(attrs), start, start + len(self.get_starttag_text()),
                          self.stack[-1] if self.stack else None)
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        start = self._offset()
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                for unclosed in self.stack[index + 1:]:  # closed by this end tag, as a browser would
                    unclosed.inner_end = unclosed.end = start
                self.stack[index].inner_end = start
                self.stack[index].end = self.text.index(">", start) + 1
                del self.stack[index:]
                return

    def by_id(self, element_id):
        return next((element for element in self.elements if element.attrs.get("id") == element_id), None)

    def inside(self, outer):
        return [element for element in self.elements if outer.inner_start <= element.start < outer.inner_end]


def _target(tree, trigger, retarget=None):
    if retarget:
        return tree.by_id(retarget.lstrip("#"))
    holder, spec = trigger.inherited("data-hx-target")
    if spec is None or spec == "this":
        return holder or trigger
    if spec.startswith("#"):
        return tree.by_id(spec[1:])
    if spec.startswith("find ."):
        return next((element for element in tree.inside(holder) if spec[6:] in element.classes()), None)
    raise ValueError("a target this test does not know: %r" % spec)


def _replace(text, element, content, how):
    places = {"outerHTML": (element.start, element.end), "innerHTML": (element.inner_start, element.inner_end),
              "beforeend": (element.inner_end, element.inner_end), "afterbegin": (element.inner_start,) * 2,
              "beforebegin": (element.start,) * 2, "afterend": (element.end,) * 2}
    start, end = places[how]
    return text[:start] + content + text[end:]


def find_trigger(page, attribute, url_pattern):
    """The first element of the page whose data-hx-get/-post (attribute) matches the pattern, and its URL."""
    for element in Tree(page).elements:
        value = element.attrs.get(attribute)
        if value and re.search(url_pattern, value):
            return value
    raise AssertionError("no %s matching %r on the page" % (attribute, url_pattern))


def swap_in(page, attribute, url, answer, headers=None):
    """The page after htmx put the answer to the element's request (its `attribute` is `url`) in place."""
    headers = headers or {}
    fragment = Tree(answer)
    oob = [element for element in fragment.elements
           if element.parent is None and element.attrs.get("data-hx-swap-oob")]
    main = answer
    for element in sorted(oob, key=lambda element: -element.start):
        main = main[:element.start] + main[element.end:]
    for element in oob:
        target = Tree(page).by_id(element.attrs["id"])
        assert target is not None, "no #%s on the page for the out-of-band part" % element.attrs["id"]
        content = answer[element.start:element.end].replace(' data-hx-swap-oob="true"', "", 1)
        page = _replace(page, target, content, "outerHTML")
    tree = Tree(page)
    trigger = next(element for element in tree.elements if element.attrs.get(attribute) == url)
    target = _target(tree, trigger, headers.get("HX-Retarget"))
    assert target is not None, "the target of %s is not on the page" % url
    how = headers.get("HX-Reswap") or (trigger.inherited("data-hx-swap")[1] or "innerHTML").split()[0]
    return _replace(page, target, main.strip(), how)
