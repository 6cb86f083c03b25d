"""HTML to PDF with WeasyPrint, allowed to read only the run's own files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class LocalOnlyFetcher(URLFetcher):  # type: ignore[misc]
    """Refuses http(s), data and every file outside the allowed folders.

    A report shows label values from the metrics source; if one ever reached the page as
    markup, this keeps WeasyPrint from fetching a URL or embedding a local file with it.
    """

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols={"file"})
        self.roots = [r.resolve() for r in roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Fetch `url` if it is a file inside one of the roots; raise ValueError otherwise."""
        parts = urlsplit(url)
        if parts.scheme == "file" and not parts.netloc:
            path = Path(unquote(parts.path)).resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"refused to load {url!r}: only the report's own files may be read")


def write_pdf(html: str, base: Path, roots: list[Path], target: Path) -> list[str]:
    """Render `html` (relative links resolved from `base`) to `target`; return refused URLs."""
    fetcher = LocalOnlyFetcher(roots)
    HTML(string=html, base_url=str(base) + "/", url_fetcher=fetcher).write_pdf(target)
    return fetcher.refused
