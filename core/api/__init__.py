"""The public REST API's shared parts (Django REST framework, drf-spectacular).

Each app keeps its own endpoints (``<app>/api.py``, with serializers beside them); what every
endpoint shares lives here, so that a mobile or mini-program team meets one API:

* ``problems``: every refusal is an RFC 9457 problem (``application/problem+json``) with a
  stable ``code``, in the caller's language;
* ``parsers``: JSON bodies go through ``core.jsonbody`` (size and depth limits before parsing);
* ``pagination``: cursor pagination on every list;
* ``conditional``: ETag / If-None-Match on reads;
* ``throttles``: per-user and per-address limits on the shared cache (429 with Retry-After).

The API is versioned in its path (``/api/v1/``); a ``v2`` would be a second URL module mounted
beside it, with ``request.version`` telling the two apart in shared code.
"""
