"""Sealing backup files: AES-256-GCM over fixed-size chunks, streamed both ways.

Why this scheme rather than one GCM call over the whole file: backups hold videos of several
gigabytes, and GCM over a whole file would need it in memory (or would hand out plaintext
before the single tag at the end is checked). Chunks of ``CHUNK_SIZE`` bytes are each sealed
on their own, so memory stays at about one chunk whichever way the bytes flow.

A sealed file is::

    header:  b"LTBACKUP" | version (1 byte) | chunk size (4 bytes) | file id (16 random bytes)
    chunks:  AES-256-GCM(chunk i) with its 16-byte tag, i = 0, 1, …; the last may be short

* Each file is sealed with its own key, derived (HKDF-SHA256) from the backup key and the
  file's random id, so no two files ever share a (key, nonce) pair however many are written.
* The nonce is the chunk's number: chunks moved, repeated or dropped no longer open.
* The associated data binds the header, the chunk's number, whether it is the last chunk, and
  the file's label (its path in the target): a file cut at a chunk boundary, a chunk appended,
  or a sealed file copied over another one's path (an old manifest under a newer backup's
  name) is refused.

``unseal`` hands out each chunk only after its tag is checked; the file as a whole is known to
be complete only when the iterator ends without ``SealError``, so callers that write the bytes
somewhere must throw the result away on an error.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import struct
from collections.abc import Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"LTBACKUP"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
# A header may not ask the reader to buffer more than this per chunk (a tampered header could
# otherwise ask for gigabytes before any tag is checked).
MAX_CHUNK_SIZE = 64 * 1024 * 1024
TAG_SIZE = 16
KEY_SIZE = 32
HEADER = struct.Struct(">8sBI16s")
_HKDF_INFO = b"liaotu-commons backup file key v1"


class BackupKeyError(ValueError):
    """The backup key is missing or is not 32 bytes in URL-safe base64."""


class SealError(ValueError):
    """A sealed file does not open: wrong key, or changed, cut, reordered or misplaced bytes."""


def generate_key() -> str:
    """A new backup key, as BACKUP_ENCRYPTION_KEY takes it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_SIZE)).decode("ascii")


def load_key(value: str) -> bytes:
    """The 32 key bytes from their URL-safe base64 form (padding optional)."""
    text = (value or "").strip()
    if not text:
        raise BackupKeyError("no backup key")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise BackupKeyError("the backup key is not URL-safe base64") from error
    if len(raw) != KEY_SIZE:
        raise BackupKeyError(f"the backup key must be {KEY_SIZE} bytes, not {len(raw)}")
    return raw


def _file_cipher(key: bytes, file_id: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=file_id, info=_HKDF_INFO)
    return AESGCM(derived.derive(key))


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _aad(header: bytes, label: str, index: int, *, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0) + label.encode("utf-8")


def sealed_size(plain_size: int, *, chunk_size: int = CHUNK_SIZE) -> int:
    """How many bytes ``seal`` writes for ``plain_size`` bytes: the header and 16 bytes a chunk
    (what a target holds beyond the files themselves)."""
    chunks = max(1, -(-plain_size // chunk_size))
    return HEADER.size + plain_size + chunks * TAG_SIZE


def seal(
    chunks: Iterable[bytes], *, key: bytes, label: str, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the sealed form of the bytes ``chunks`` yields (pieces of any size)."""
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError("chunk size out of range")
    file_id = os.urandom(16)
    header = HEADER.pack(MAGIC, VERSION, chunk_size, file_id)
    cipher = _file_cipher(key, file_id)
    yield header
    index = 0
    buffer = bytearray()
    for piece in chunks:
        buffer += piece
        # Keep at least one byte back: only the end of the input says which chunk is the last.
        whole = (len(buffer) - 1) // chunk_size
        if whole <= 0:
            continue
        for number in range(whole):
            block = bytes(buffer[number * chunk_size : (number + 1) * chunk_size])
            yield cipher.encrypt(_nonce(index), block, _aad(header, label, index, final=False))
            index += 1
        del buffer[: whole * chunk_size]
    yield cipher.encrypt(_nonce(index), bytes(buffer), _aad(header, label, index, final=True))


class _Reader:
    """Exact-size reads from an iterator of byte strings of any size."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self._done = False

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer only at the end of the input."""
        while len(self._buffer) < size and not self._done:
            piece = next(self._chunks, None)
            if piece is None:
                self._done = True
            else:
                self._buffer += piece
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def unseal(chunks: Iterable[bytes], *, key: bytes, label: str) -> Iterator[bytes]:
    """Yield the plaintext of a sealed file, chunk by chunk, each checked before it is given."""
    reader = _Reader(chunks)
    header = reader.read(HEADER.size)
    if len(header) < HEADER.size:
        raise SealError("the file is shorter than its header")
    magic, version, chunk_size, file_id = HEADER.unpack(header)
    if magic != MAGIC:
        raise SealError("not a sealed backup file")
    if version != VERSION:
        raise SealError(f"sealed with an unknown format version {version}")
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise SealError("the header's chunk size is out of range")
    cipher = _file_cipher(key, file_id)
    sealed_chunk = chunk_size + TAG_SIZE
    index = 0
    block = reader.read(sealed_chunk)
    while True:
        if len(block) < TAG_SIZE:
            raise SealError("the file ends inside a chunk")
        following = reader.read(sealed_chunk) if len(block) == sealed_chunk else b""
        final = not following
        try:
            plain = cipher.decrypt(_nonce(index), block, _aad(header, label, index, final=final))
        except InvalidTag as error:
            raise SealError(f"chunk {index} does not open (changed, cut or wrong key)") from error
        yield plain
        if final:
            return
        block = following
        index += 1
