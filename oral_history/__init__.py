"""辽海往事 Liaohai Memories: interviews, transcripts, indexes, consent and access control, search,
OHMS / OAI-PMH / IIIF (issue 7)."""
