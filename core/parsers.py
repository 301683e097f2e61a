"""The API's JSON parser."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that a body nested deeper than Python's stack (`[[[[…`, a few
    kilobytes is enough) is the client's malformed JSON, not a server error: `json` raises
    RecursionError for it, which DRF does not expect and left to become a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
