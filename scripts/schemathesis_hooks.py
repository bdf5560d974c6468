"""Schemathesis hooks for scripts/schemathesis.

POST /v1/reference/{kind} takes its table as `text/csv` (a string in the document);
schemathesis 3.x has no serializer for that media type and would report the operation
as an error without sending a request. The body is the generated string, UTF-8.
"""

import schemathesis


def _body(value):
    if isinstance(value, bytes):
        return {"data": value}
    return {"data": str(value).encode("utf-8")}


@schemathesis.serializer("text/csv")
class CsvSerializer:
    def as_requests(self, context, value):
        return _body(value)

    def as_werkzeug(self, context, value):
        return _body(value)
