"""Pages of the scenarios app itself (the catalogue, which needs sessions and progress, is
`overview`'s)."""

from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from scenarios.docs import format_page


@require_safe
def scenario_format(request):
    """The scenario file format, for authors and anyone writing files for the importer.

    Public, like the API's documentation: it is the format of files people write before they
    have an account anywhere, it holds nothing that is not in the repository, and it reads
    nothing from the database (rendered once per deploy).
    """
    return TemplateResponse(request, "scenarios/format.html", {"page": format_page()})
