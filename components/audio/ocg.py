"""OpenClonk's packed group format (``.ocg``): list and read members, and pack a group.

A group file is a gzip stream whose first two magic bytes are altered (``1e 8c`` instead of
``1f 8b``). Decompressed, a group is a 204-byte scrambled header (in each 3-byte block the first
and third bytes are swapped, then every byte is XORed with 0xED; unscrambled it starts with
``RedWolf Design`` and holds the entry count as little-endian int32 at offset 36), then that many
316-byte entry records (a 260-byte NUL-padded name, then int32 packed, is-child-group, size,
reserved, offset, ...), then the entries' data: an entry's data starts at the end of the entry
records plus its offset. A child group's data is again a group (header, records, data), not
compressed again. Member paths are written with ``/``: ``Hits.ocg/Materials.ocg/Glass.ocg/X.ogg``.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from typing import Dict, List, NamedTuple

HEADER_SIZE = 204
ENTRY_SIZE = 316
NAME_SIZE = 260
GROUP_ID = b"RedWolf Design GrpFolder"
GZIP_MAGIC = b"\x1f\x8b"
OCG_MAGIC = b"\x1e\x8c"


class GroupFormatError(ValueError):
    """The bytes are not an OpenClonk group, or a member is missing; the message says which."""


class Entry(NamedTuple):
    name: str
    is_group: bool
    size: int
    start: int          # absolute position of the entry's data in the decompressed buffer


def scramble_header(header: bytes) -> bytes:
    """Swap bytes 0 and 2 of each 3-byte block and XOR every byte with 0xED (its own inverse
    when applied in the opposite order: see :func:`unscramble_header`)."""
    out = bytearray(b ^ 0xED for b in header)
    for i in range(0, len(out) - 2, 3):
        out[i], out[i + 2] = out[i + 2], out[i]
    return bytes(out)


def unscramble_header(header: bytes) -> bytes:
    """Undo :func:`scramble_header`: swap within 3-byte blocks, then XOR with 0xED."""
    out = bytearray(header)
    for i in range(0, len(out) - 2, 3):
        out[i], out[i + 2] = out[i + 2], out[i]
    return bytes(b ^ 0xED for b in out)


def decompress(data: bytes, name: str = "group") -> bytes:
    """The decompressed group bytes of a ``.ocg`` file's contents."""
    if len(data) < 2 or data[:2] not in (OCG_MAGIC, GZIP_MAGIC):
        raise GroupFormatError(f"{name}: not an OpenClonk group (magic bytes {data[:2].hex()}, "
                               f"expected {OCG_MAGIC.hex()})")
    try:
        return gzip.decompress(GZIP_MAGIC + data[2:])
    except (OSError, EOFError, zlib.error) as err:
        raise GroupFormatError(f"{name}: corrupt group stream ({err})") from err


def list_entries(buffer: bytes, base: int = 0, name: str = "group") -> List[Entry]:
    """The entries of the group that starts at ``base`` in a decompressed buffer."""
    header = unscramble_header(buffer[base:base + HEADER_SIZE])
    if len(header) < HEADER_SIZE or not header.startswith(GROUP_ID[:14]):
        raise GroupFormatError(f"{name}: group header not found at byte {base}")
    count = struct.unpack_from("<i", header, 36)[0]
    records = base + HEADER_SIZE
    data_start = records + ENTRY_SIZE * count
    if count < 0 or data_start > len(buffer):
        raise GroupFormatError(f"{name}: header claims {count} entries, more than the data holds")
    entries = []
    for k in range(count):
        record = buffer[records + ENTRY_SIZE * k: records + ENTRY_SIZE * (k + 1)]
        entry_name = record[:NAME_SIZE].split(b"\0", 1)[0].decode("latin-1")
        _, child, size, _, offset = struct.unpack_from("<5i", record, NAME_SIZE)
        entries.append(Entry(entry_name, bool(child), size, data_start + offset))
    return entries


def read_member(buffer: bytes, member: str, name: str = "group") -> bytes:
    """The bytes of ``member`` (``A.ocg/B.ocg/file``) of a decompressed group buffer."""
    base, parts = 0, member.split("/")
    for depth, part in enumerate(parts):
        entries = {e.name: e for e in list_entries(buffer, base, name)}
        if part not in entries:
            raise GroupFormatError(f"{name}: no member {'/'.join(parts[:depth + 1])!r} "
                                   f"(that folder has {sorted(entries)})")
        entry = entries[part]
        if depth < len(parts) - 1:
            if not entry.is_group:
                raise GroupFormatError(f"{name}: {part!r} is a file, not a group")
            base = entry.start
        else:
            data = buffer[entry.start:entry.start + entry.size]
            if len(data) != entry.size:
                raise GroupFormatError(f"{name}: member {member!r} is truncated")
            return data
    raise GroupFormatError(f"{name}: empty member path")


def read_members(path: str, members: List[str]) -> Dict[str, bytes]:
    """Read the named members of the ``.ocg`` file at ``path`` (decompressing it once)."""
    with open(path, "rb") as handle:
        buffer = decompress(handle.read(), path)
    return {member: read_member(buffer, member, path) for member in members}


def pack_group(members: Dict[str, object]) -> bytes:
    """A decompressed group from ``{name: bytes or {name: ...}}`` (dicts become child groups)."""
    names = list(members)
    payloads = [pack_group(v) if isinstance(v, dict) else bytes(v) for v in members.values()]
    header = bytearray(HEADER_SIZE)
    header[:len(GROUP_ID)] = GROUP_ID
    struct.pack_into("<iii", header, 28, 1, 2, len(names))
    records, offset = bytearray(), 0
    for name, value, payload in zip(names, members.values(), payloads):
        record = bytearray(ENTRY_SIZE)
        encoded = name.encode("latin-1")[:NAME_SIZE - 1]
        record[:len(encoded)] = encoded
        struct.pack_into("<5i", record, NAME_SIZE, 0, int(isinstance(value, dict)),
                         len(payload), 0, offset)
        records += record
        offset += len(payload)
    return scramble_header(bytes(header)) + bytes(records) + b"".join(payloads)


def write_group_file(path: str, members: Dict[str, object]) -> None:
    """Write ``members`` as a compressed ``.ocg`` file (gzip with OpenClonk's magic bytes)."""
    compressed = gzip.compress(pack_group(members), mtime=0)
    with open(path, "wb") as handle:
        handle.write(OCG_MAGIC + compressed[2:])
