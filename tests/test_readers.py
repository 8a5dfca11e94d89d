"""The readers: HTML tables and headers, Markdown markup a reader does not see, UTF-16 without a BOM."""

from pathlib import Path

import pytest

from conftest import MD_PAGE
from pipeline.readers import InputError, decode, html_to_text, markdown_to_text, read_document


# Decoding and unreadable files -----------------------------------------------------------------

@pytest.mark.parametrize("data, encoding", [
    ("caf\u00e9".encode("utf-8"), "utf-8"), (b"\xef\xbb\xbfcaf\xc3\xa9", "utf-8-sig"),
    ("caf\u00e9".encode("utf-16"), "utf-16"), ("caf\u00e9 \u2013".encode("cp1252"), "cp1252")])
def test_decode(data: bytes, encoding: str) -> None:
    text, used = decode(data)
    assert used == encoding and text.startswith("caf\u00e9")


@pytest.mark.parametrize("name, data, reason", [
    ("empty.txt", b"", "empty"), ("blob.txt", b"\x00\x01\x02binary", "binary"),
    ("sheet.xlsx", b"PK\x03\x04", "unsupported"), ("bad.pdf", b"%PDF-1.4 garbage", "PDF")])
def test_bad_files_raise_input_error(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match=reason):
        read_document(path)


def test_html_headings_and_items() -> None:
    text = html_to_text("<h2>Why it matters?</h2><ul><li>One</li></ul>")
    assert text.splitlines()[0] == "# Why it matters?" and "• One" in text


# HTML tables -----------------------------------------------------------------------------------

def test_html_table_rows_are_lines_with_cells_joined() -> None:
    table = ("<table><tr><th>Country</th><th>Share</th></tr>"
             "<tr><td>Poland</td><td>4 percent</td></tr></table>")
    assert html_to_text(table) == "Country | Share\n\nPoland | 4 percent"


def test_pretty_printed_html_table_cells_with_blocks_stay_on_one_line() -> None:
    table = ("<table>\n<thead>\n<tr>\n  <th><h3>Country</h3></th>\n  <th>Share</th>\n</tr>\n</thead>\n"
             "<tbody>\n<tr>\n  <td><div>Poland</div></td>\n  <td><p>4\n  percent</p></td>\n</tr>\n</tbody>\n"
             "</table>\n<p>After the table.</p>")
    assert html_to_text(table) == "Country | Share\n\nPoland | 4 percent\n\nAfter the table."


def test_a_table_nested_in_a_cell_has_its_own_rows() -> None:
    markup = ("<table><tr><td>Outer<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
              "</td><td>next</td></tr></table>")
    lines = html_to_text(markup).split("\n\n")
    assert lines[:3] == ["Outer", "a | b", "c | d"] and "next" in lines[3]


# HTML <header> ---------------------------------------------------------------------------------

@pytest.mark.parametrize("markup", [
    "<body><header><h1>Why NATO Matters</h1><p>NATO remains essential.</p></header>"
    "<main><p>Body text.</p></main></body>",
    "<body><main><header><h1>Why NATO Matters</h1><p>NATO remains essential.</p></header>"
    "<p>Body text.</p></main></body>",
    "<body><h1>Site</h1><article><header><h1>Why NATO Matters</h1><p>NATO remains essential.</p>"
    "</header><p>Body text.</p></article></body>",
])
def test_the_articles_own_header_is_kept(markup: str) -> None:
    text = html_to_text(markup)
    assert "# Why NATO Matters\n\nNATO remains essential.\n\n" in text and text.endswith("Body text.")


def test_site_banner_headers_and_navigation_in_a_kept_header_are_dropped() -> None:
    markup = ("<body><header><p>Example News</p><h1>Example News</h1></header>"
              "<main><header><h1>Why NATO Matters</h1><nav>Home | World</nav></header>"
              "<p>Body text.</p></main><header><p>Subscribe now</p></header></body>")
    assert html_to_text(markup) == "# Why NATO Matters\n\nBody text."


# Markdown ---------------------------------------------------------------------------------------

def test_markdown_without_markup_to_remove_comes_through_unchanged() -> None:
    text = (MD_PAGE + "\n---\n\n1. First *point*, with **emphasis**.\r\n* Second [point].\n"
            "Line one  \nline two: a | b\n\n\n+++\n")
    assert markdown_to_text(text) == text


@pytest.mark.parametrize("front_matter", [
    "---\ntitle: Why NATO Matters\ntags:\n  - alliances\n  - defence\ndate: 2024-01-01\n---\n",
    "+++\ntitle = \"Why NATO Matters\"\ntags = [\n  \"alliances\",\n]\n[params]\nauthor = \"A. Writer\"\n+++\n",
])
def test_markdown_front_matter_is_dropped(front_matter: str) -> None:
    body = "# Why NATO Matters\n\nNATO deters.\n"
    assert markdown_to_text(front_matter + body) == body


def test_a_rule_at_the_start_of_markdown_is_not_front_matter() -> None:
    text = "---\n\nNATO deters aggression: so say its members.\n\n---\n\nMore text.\n"
    assert markdown_to_text(text) == text


@pytest.mark.parametrize("opening, closing", [
    ("```python", "```"), ("```", "```"), ("~~~", "~~~"), ("~~~ js", "~~~~"), ("````", "````")])
def test_markdown_fenced_code_is_dropped(opening: str, closing: str) -> None:
    other = "~~~" if opening.startswith("`") else "```"  # a fence of the other kind closes nothing
    text = f"NATO is an alliance.\n{opening}\ndef nato():\n{other}\n    return \"NATO is bad\"\n{closing}\nIt deters."
    assert markdown_to_text(text) == "NATO is an alliance.\n\nIt deters."


def test_an_unclosed_fence_keeps_the_rest_of_the_text() -> None:
    text = "A scene ends.\n~~~\nThe alliance held.\n```text\nNATO deters.\n"
    assert markdown_to_text(text) == text


def test_markdown_links_become_their_text_and_images_and_definitions_go() -> None:
    text = ("See [a link](http://example.com) and [the treaty][nato] or [Article 5](<a b.html> \"title\")."
            "![a chart](chart.png)\n"
            "![logo][logo]Read [the page](https://en.wikipedia.org/wiki/NATO_(alliance)).\n\n"
            "[nato]: https://nato.int \"NATO\"\n[logo]: logo.png\n")
    assert markdown_to_text(text) == ("See a link and the treaty or Article 5.\n"
                                      "Read the page.\n\n")


def test_markdown_table_rows_are_lines_without_the_separator_row() -> None:
    text = ("Spending:\n\n| Country | Share |\n|---|:---:|\n| Poland | 4 percent |\n"
            "| [Estonia](http://e.ee) | 3 percent |\n\nAfter the table.\nCountry | Share\n--- | ---\nLatvia | 3\n")
    assert markdown_to_text(text) == ("Spending:\n\nCountry | Share\nPoland | 4 percent\nEstonia | 3 percent\n\n"
                                      "After the table.\nCountry | Share\nLatvia | 3\n")


def test_read_document_converts_markdown_only(tmp_path: Path) -> None:
    text = "---\ntitle: Notes\n---\n# Notes\n\nSee [NATO](https://nato.int).\n"
    (tmp_path / "notes.md").write_text(text, encoding="utf-8")
    (tmp_path / "notes.txt").write_text(text, encoding="utf-8")
    assert read_document(tmp_path / "notes.md").text == "# Notes\n\nSee NATO.\n"
    assert read_document(tmp_path / "notes.txt").text == text


# UTF-16 without a byte-order mark ---------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded(tmp_path: Path, encoding: str) -> None:
    text = "Alliances deter aggression. Caf\u00e9 owners in Riga agree \u2013 mostly \u0100.\n"
    assert decode(text.encode(encoding)) == (text, encoding)
    (tmp_path / "notes.txt").write_bytes(text.encode(encoding))
    raw = read_document(tmp_path / "notes.txt")
    assert raw.text == text and raw.encoding == encoding


@pytest.mark.parametrize("data", [
    b"\x00\x01\x02binary", b"\x00" * 64, b"PK\x03\x04\x14\x00\x00\x00\x08\x00" * 8,
    "Alliances deter.".encode("utf-16-le") + b"\x00",  # odd length: not UTF-16
    b"\x00\xd8a\x00b\x00c\x00",  # a lone surrogate: does not decode
])
def test_other_data_with_nul_bytes_is_binary(data: bytes) -> None:
    with pytest.raises(InputError, match="binary file"):
        decode(data)
