"""Who may see and do what, in one place: the rules (permissions.rules, DESIGN.md's role table) and
the loaders that apply them to a request (permissions.loaders). Callers import both from here."""
from permissions.loaders import *  # noqa: F401,F403
from permissions.rules import *  # noqa: F401,F403
