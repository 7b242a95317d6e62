"""The screens in English and Simplified Chinese: Babel catalogues, chosen per person (or,
before sign-in, by the browser's Accept-Language)."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

LOCALES = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")
_current: ContextVar[str] = ContextVar("language", default="en")


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the messages as written)."""
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def from_header(accept_language: str) -> str:
    """The first supported language an Accept-Language header names (English otherwise)."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "en"


def use(language: str) -> None:
    """Render what follows in ``language``."""
    _current.set(language if language in LANGUAGES else "en")


def translate(message: str) -> str:
    """``message`` in the current language."""
    return translations(_current.get()).gettext(message)


_gettext = translate


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Give templates ``_()`` and ``{% trans %}`` in the current language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
