"""Rendering is pure and accessible: labels for every input, errors next to their fields, escaping."""
from __future__ import annotations

from html.parser import HTMLParser

from adapters.web.render import Chrome, Pages, card_view, form_view
from flows.cards import ActionId, Card, CardAction
from flows.forms import Field, FieldKind, FormSpec, Option
from flows.i18n import Translator

SPEC = FormSpec(id="f", title="報告", submit="送信", close="閉じる", optional_heading="任意", fields=(
    Field("when", FieldKind.DATETIME, "いつ", required=True),
    Field("channel", FieldKind.SELECT, "チャネル", required=True, options=(Option("phone", "電話"),)),
    Field("what", FieldKind.TEXTAREA, "内容", required=True),
    Field("types", FieldKind.MULTISELECT, "類型", options=(Option("a", "A"), Option("b", "B")), section="optional"),
    Field("minutes", FieldKind.NUMBER, "分", min_value=0, max_value=10, section="optional"),
    Field("unit", FieldKind.SELECT, "所属", options=tuple(Option(str(i), f"U{i}") for i in range(9)),
          section="optional"),
))


class Audit(HTMLParser):
    """Collect form controls, label targets and fieldset legends of a page."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled, self.legends, self.in_label, self.fieldsets = [], set(), 0, 0, 0
        self.unlabelled_choices = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if "for" in a:
                self.labelled.add(a["for"])
        if tag == "fieldset":
            self.fieldsets += 1
        if tag == "legend":
            self.legends += 1
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            if a.get("type") in ("checkbox", "radio"):
                self.unlabelled_choices += 0 if self.in_label else 1
            else:
                self.controls.append(a.get("id"))

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def render(template: str, **values) -> str:
    chrome = Chrome(t=Translator("ja"), home_url="/", static_url="/static/style.css", switch_url="/x?lang=en")
    return Pages().page(template, **chrome.context(), **values)


def test_every_control_has_a_label_and_choices_sit_in_a_fieldset_with_a_legend():
    form = form_view(SPEC, {"what": "", "types": ["b"]}, {"what": "必須です"})
    html = render("form.html", form=form, errors=[], action_url="/a", hidden_fields={"csrf": "t"}, note="",
                  back_url="", back_label="")
    audit = Audit()
    audit.feed(html)
    assert audit.controls and all(c in audit.labelled for c in audit.controls)
    assert audit.unlabelled_choices == 0 and audit.fieldsets == audit.legends == 2  # radio group + checkboxes
    assert 'aria-describedby="e-what"' in html and 'aria-invalid="true"' in html
    assert 'type="datetime-local"' in html and 'inputmode="numeric"' in html
    assert '<select id="f-unit"' in html  # more than six choices: a select, fewer: radio buttons
    assert 'value="b" checked' in html and " open>" in html  # what was chosen, shown open


def test_text_from_people_is_escaped():
    card = Card("<script>alert(1)</script>", lines=("a & b <i>",), fields=(("k", '"v"'),),
                actions=(CardAction(ActionId.ACKNOWLEDGE, "<b>OK</b>", "1"),))
    html = render("inbox.html", heading="h", acting_as="", notice=None, console_url="/", reply_url="/r",
                  action_url="/a", hidden_fields={}, messages=[])
    html = render("status.html", notice="", facts=[], messages=[card_view(card)], action_url="/a", details_url="/d",
                  hidden_fields={"code": '"><x'})
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b &lt;i&gt;" in html
    assert "&lt;b&gt;OK&lt;/b&gt;" in html and 'value="&#34;&gt;&lt;x"' in html


def test_the_page_names_its_language_and_offers_the_other():
    html = render("home.html", consult_url="/consult", status_url="/receipt")
    assert '<html lang="ja">' in html and 'href="/x?lang=en" lang="en"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_codes_are_accepted_as_people_type_them_on_a_phone():
    from multidict import MultiDict

    from adapters.web.parse import case_code, code, passphrase, receipt_code

    typed = MultiDict(code="ｒ－ｍｈ４ｇ ｘｚｒｖ-tcyz-r8cb ")  # full-width, spaces, lower case
    assert receipt_code(code(typed, "code")) == "R-MH4G-XZRV-TCYZ-R8CB"
    assert receipt_code("RMH4GXZRVTCYZR8CB") == receipt_code("MH4GXZRVTCYZR8CB") == "R-MH4G-XZRV-TCYZ-R8CB"
    assert receipt_code("R-RAAA-BBBB-CCCC-DDDD") == receipt_code("RAAABBBBCCCCDDDD") == "R-RAAA-BBBB-CCCC-DDDD"
    assert case_code("c-7kq2") == case_code("7KQ2") == "C-7KQ2" and case_code("CKQ2") == "C-CKQ2"
    assert passphrase("abcd efgh-ijkl mnop") == "ABCD-EFGH-IJKL-MNOP"
