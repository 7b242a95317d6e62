"""The screens' catalogues: every message of every template has its Chinese, and the pages
speak the person's language (before sign-in, the browser's)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from cloud.people.users import PersonRole
from cloud.web import i18n
from cloud.workorders.lifecycle import State

TEMPLATES = Path(i18n.__file__).parent / "templates"


def _template_messages() -> set[str]:
    found = set()
    for path in TEMPLATES.glob("*.html"):
        for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract",
            str(path),
            options={"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"},
        ):
            found.add(message)
    return found


def test_every_message_and_state_has_its_chinese() -> None:
    zh = i18n.translations("zh")
    roles = {r.value for r in PersonRole}
    messages = _template_messages() | {s.value.replace("_", " ") for s in State} | roles
    assert len(messages) > 80
    missing = sorted(m for m in messages if m != "plantwatch" and zh.gettext(m) == m)
    assert missing == []


def test_the_language_comes_from_the_person_or_the_browser() -> None:
    assert i18n.from_header("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert i18n.from_header("en-GB,en;q=0.9") == "en"
    assert i18n.from_header("fr-FR") == "en"
    i18n.use("zh")
    assert i18n._gettext("Report a fault") == "报修"
    i18n.use("xx")
    assert i18n._gettext("Report a fault") == "Report a fault"
