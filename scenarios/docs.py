"""The scenario file format as a page of the site, rendered from `docs/scenarios.md`, so that
the admin's help can link to documentation that matches the running code.

The Markdown is ours, but it is rendered as if it were not: raw HTML in it comes out as text,
and only links to this page, to other sites (http, https, mailto) and to anchors survive;
links to files the site does not serve become plain text. So a slip in the docs (or a pasted
snippet) cannot put markup or script into a page served under the site's origin.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import markdown
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown.treeprocessors import Treeprocessor

FORMAT_DOC = Path(settings.BASE_DIR) / "docs" / "scenarios.md"
EXAMPLE_FILE = Path(__file__).resolve().parent / "library" / "router-reboot-loop.yaml"
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass(frozen=True)
class FormatPage:
    title: str
    html: SafeString
    example_name: str
    example: str


class _LinkPolicy(Treeprocessor):
    """Keeps anchors, this page's own links and external links; unlinks the rest; drops images
    (the docs' images are files the site does not serve) in favour of their text."""

    def __init__(self, md, *, self_name: str):
        super().__init__(md)
        self.self_name = self_name

    def run(self, root) -> None:
        for parent in root.iter():
            for child in list(parent):
                if child.tag == "a":
                    self._link(child)
                elif child.tag == "img":
                    self._image(parent, child)

    def _link(self, element) -> None:
        href = element.get("href", "")
        parts = urlsplit(href)
        if href.startswith("#") or parts.scheme in SAFE_SCHEMES:
            return
        if not parts.scheme and not parts.netloc and parts.path == self.self_name:
            element.set("href", f"#{parts.fragment}" if parts.fragment else "#")
            return
        element.tag = "span"
        element.attrib.clear()

    @staticmethod
    def _image(parent, element) -> None:
        text = element.get("alt", "")
        index = list(parent).index(element)
        parent.remove(element)
        if index == 0:
            parent.text = (parent.text or "") + text + (element.tail or "")
        else:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + text + (element.tail or "")


def render_markdown(text: str, *, self_name: str) -> SafeString:
    """Markdown to HTML with raw HTML escaped and links filtered (see the module docstring)."""
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "toc", "sane_lists"],
        # `align` attributes instead of inline styles, which the site's CSP refuses.
        extension_configs={"tables": {"use_align_attribute": True}},
    )
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_LinkPolicy(md, self_name=self_name), "link_policy", 1)
    # Every piece of text went through Markdown's serializer, which escapes it; raw HTML is
    # no longer recognised (above), so nothing in the source reaches the page as markup.
    return mark_safe(md.convert(text))  # nosec B308 B703: escaped by the renderer (above)


@functools.lru_cache(maxsize=4)
def _format_page(doc_mtime: int, example_mtime: int) -> FormatPage:
    text = FORMAT_DOC.read_text(encoding="utf-8")
    title, _, body = text.partition("\n")
    return FormatPage(
        title=title.lstrip("# ").strip() or "Scenario files",
        html=render_markdown(body, self_name=FORMAT_DOC.name),
        example_name=EXAMPLE_FILE.name,
        example=EXAMPLE_FILE.read_text(encoding="utf-8"),
    )


def format_page() -> FormatPage:
    """The rendered page, built once per version of its files (they change with a deploy)."""
    return _format_page(FORMAT_DOC.stat().st_mtime_ns, EXAMPLE_FILE.stat().st_mtime_ns)
