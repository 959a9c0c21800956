"""Why-lines and notes built from templates that translate, not from English concatenation.

An analysis says why with :func:`reason`: an English message with ``%(name)s`` placeholders,
marked with :func:`N_` where it is written (so ``pybabel extract`` puts it in the catalogue), and
its parameters. A parameter is text from the data (a name, a code), a whole number, a list
(said with ", " between the items) or a reason itself (a word that translates, a part of the
line). :func:`join` strings reasons together ("; " by default).

A :class:`Reason` *is* the English string (a ``str`` subclass), so ``why`` stays what it always
was in the JSON, the CSV and the CLI, and code that reads it as text keeps working; it also
remembers its message and parameters, so :func:`render` can say it in another language::

    >>> line = join([reason(N_("covers %(competencies)s"), competencies=["Lasers", "Optics"]),
    ...              reason(N_("worked with %(count)s of your members"), count=2)])
    >>> line
    'covers Lasers, Optics; worked with 2 of your members'
    >>> render(line, {"covers %(competencies)s": "покрывает %(competencies)s"}.get)
    'покрывает Lasers, Optics; worked with 2 of your members'
    >>> messages(line)
    ['covers %(competencies)s', 'worked with %(count)s of your members']

A message defined in data rather than in code (a SHACL shape's ``sh:message``, which has its
Russian twin tagged ``@ru`` beside it) brings its translations with it: :func:`worded`, said
in the language asked from its own texts::

    >>> rule = worded("A cluster needs a name.", {"ru": "Кластеру нужно название."})
    >>> rule, render(rule, language="ru"), render(rule, language="de")
    ('A cluster needs a name.', 'Кластеру нужно название.', 'A cluster needs a name.')

Numbers are handed over as numbers (``int``) so a page can write them the locale's way; years
and figures with a fixed number of decimals as text (``"2019"``, ``"0.42"``).

Names from the data (a competency, a cluster) are parameters as their English text; a page in
another language hands :func:`render` a ``name`` lookup (English name -> its name in the page's
language) and every plain-text parameter goes through it::

    >>> render(line, {"covers %(competencies)s": "покрывает %(competencies)s"}.get,
    ...        name={"Lasers": "лазеры"}.get)
    'покрывает лазеры, Optics; worked with 2 of your members'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = ["N_", "ORGANISATION_TYPE_WORDS", "Reason", "and_list", "join", "messages", "reason", "render", "worded"]

Translate = Callable[[str], "str | None"]
Rename = Callable[[str], "str | None"]


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is written; it is translated where it is shown.

    >>> N_("claimed")
    'claimed'
    """
    return message


class Reason(str):
    """An English line (the ``str`` itself) with the message and parameters it was made from.

    ``message`` is ``None`` for a :func:`join`: then ``params["parts"]`` are said with
    ``separator`` between them. ``texts`` holds the message's own translations (language ->
    text) when it does not come from the catalogue (:func:`worded`).
    """

    message: str | None
    params: dict
    separator: str
    texts: dict[str, str]

    def __new__(cls, message: str | None, params: dict, separator: str = "", texts: dict[str, str] | None = None):
        self = super().__new__(cls, _say(message, params, separator, None, str, None))
        self.message, self.params, self.separator, self.texts = message, params, separator, dict(texts or {})
        return self

    def __reduce__(self):  # pickles (and copies) as what it is, not as a plain str
        return (Reason, (self.message, self.params, self.separator, self.texts or None))


#: an organisation type (``clusterkg.graph.projection.ORGANISATION_TYPES``' codes) as a word
ORGANISATION_TYPE_WORDS = {
    "sme": N_("SME"), "large_enterprise": N_("large enterprise"), "university": N_("university"),
    "research_institute": N_("research institute"), "technopark": N_("technopark"), "public_body": N_("public body"),
    "association": N_("association"), "investor": N_("investor"), "cluster_organisation": N_("cluster organisation"),
    "hospital": N_("hospital"), "other": N_("other"),
}


def reason(message: str, /, **params) -> Reason:
    """``message`` (marked with :func:`N_`) filled with ``params``."""
    return Reason(message, params)


def worded(message: str, texts: dict[str, str]) -> Reason:
    """``message`` (English, without parameters) with its translations ``texts`` (language -> text),
    for a message defined in data, not in the catalogue."""
    return Reason(message, {}, texts=texts)


def join(parts: Iterable, separator: str = "; ") -> Reason:
    """The non-empty ``parts`` said one after another, ``separator`` between them."""
    return Reason(None, {"parts": [p for p in parts if p != ""]}, separator)


def and_list(labels: list[str]) -> Reason | str:
    """Names as prose: ``"A"``, ``"A and B"``, ``"A, B and C"`` (the "and" translates).

    >>> and_list(["A", "B", "C"])
    'A, B and C'
    """
    if len(labels) < 2:
        return "".join(labels)
    return reason(N_("%(items)s and %(last)s"), items=list(labels[:-1]), last=labels[-1])


def render(value, translate: Translate | None = None, number: Callable[[int], str] = str,
           name: Rename | None = None, language: str | None = None) -> str:
    """``value`` said with ``translate`` (message -> its translation, or ``None`` to keep it), whole
    numbers written by ``number`` and names from the data by ``name`` (English name -> the name in
    the language, or ``None`` to keep it); a :func:`worded` message in ``language`` from its own
    texts; plain text is said as it is."""
    if isinstance(value, Reason):
        if translate is None and number is str and name is None and not language:
            return str.__str__(value)  # its English, said once when it was made
        own = value.texts.get(language) if value.texts and language else None
        return own or _say(value.message, value.params, value.separator, translate, number, name, language)
    if isinstance(value, (list, tuple)):
        return ", ".join(render(item, translate, number, name, language) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return number(value)
    text = str(value)
    return (name(text) or text) if name else text


def _say(message, params: dict, separator: str, translate: Translate | None, number, name: Rename | None,
         language: str | None = None) -> str:
    if message is None:
        return separator.join(render(part, translate, number, name, language) for part in params["parts"])
    text = (translate(message) if translate else None) or message
    return text % {key: render(value, translate, number, name, language) for key, value in params.items()} if params else text


def messages(value) -> list[str]:
    """Every message ``value`` is made of, in order (for the check that the catalogue has them)."""
    found: list[str] = []
    if isinstance(value, Reason):
        if value.message is not None and not value.texts:  # (a worded message brings its own)
            found.append(value.message)
        for item in value.params.values():
            found += messages(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found += messages(item)
    return found
