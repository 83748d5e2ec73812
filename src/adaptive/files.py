"""Files shared by every stage: atomic writes, and JSON that carries its own checksum.

Atomic writes go to a temp file beside the target, then rename. The temp file is created with
mode 0666 minus the umask (as `open` would), so outputs get the usual 0644, not `mkstemp`'s 0600.
A target that is a symlink is written through: the file it points to is replaced, the link kept.
A target that is no regular file (a device, a FIFO, a socket, a folder) is refused, not replaced
by a file; so is a path under a file, as one error naming it (`output_file`, `make_folder`).

Sealed JSON (`sealed_json` / `read_sealed_json`): the metadata files of artifacts (`model.json`,
a snapshot's `meta.json`, the batch's `_SUCCESS.json`) hold a `sha256` field over the canonical
form of the rest of the document, so the file that lists the other files' checksums is itself
covered: any change to a value (a hyperparameter, the order of skill ids) is refused on load.
Whitespace and key order are not part of the canonical form, so re-indenting is harmless.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from adaptive.errors import AdaptiveError, ArtifactError, DataValidationError, Problem

SEAL_KEY = "sha256"

#: The first bytes of binary files a user may give where a text file is expected, and what
#: each one is (said in the error, so the mistake is named, not only the undecodable byte).
BINARY_SIGNATURES: dict[bytes, str] = {
    b"PAR1": "a Parquet file",
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 workbook (.xls)",
    b"\x1f\x8b": "gzip-compressed (decompress it first)",
    b"%PDF": "a PDF document",
}
UTF8_BOM = b"\xef\xbb\xbf"
#: The byte-order marks of text in UTF-16, what Windows Notepad saves as "Unicode" (and Excel as
#: "Unicode Text"): said by name, where the bytes alone read as some legacy encoding.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: UTF-32's byte-order marks (little-endian's begins with UTF-16 little-endian's: test it first).
UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def read_user_text(path: str | Path, expected: str, *, allow_blank: bool = True) -> str:
    """The text of a file a user gives (a catalog, a policy or model spec, overrides): UTF-8,
    with the byte-order mark Excel and Notepad write dropped. A file that is not UTF-8 text is
    one `DataValidationError` naming the file and the line and bytes where decoding failed,
    and saying what was `expected` and, from its first bytes, what the file is (a Parquet file
    or a workbook given by mistake, or text in another encoding).

    `allow_blank=False`, for a file that is never empty (JSON: a catalog, overrides, a skill
    map): a file of no text, or of blank space only, is one `DataValidationError` naming the
    file and what was `expected`, not the JSON parser's "Expecting value: line 1 column 1
    (char 0)". A TOML spec may be empty (every setting its default)."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise not_text(path, line, data, data[exc.start : exc.start + 8], expected) from None
    if not allow_blank and not text.strip():
        got = "an empty file" if not text else "blank space only"
        raise DataValidationError([Problem(str(path), None, None, got, expected)])
    return text


def user_text_lines(path: str | Path, expected: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line of a user's text file, read as a stream (a district's
    profiles never sit in memory whole), decoded as `read_user_text` decodes a file."""
    with Path(path).open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 8]
                head = raw if number == 1 else b""
                raise not_text(path, number, head, bad, expected) from None


def not_text(
    path: str | Path, line: int, head: bytes, bad: bytes, expected: str
) -> DataValidationError:
    """The error for a file that is not UTF-8 text: where, which bytes, and what it is (from
    `head`, its first bytes: a binary file's signature, or UTF-16's or UTF-32's byte-order mark)."""
    kind = next((what for magic, what in BINARY_SIGNATURES.items() if head.startswith(magic)), "")
    if kind:
        hint = f"; this file is {kind}"
    elif head.startswith(UTF32_BOMS):
        hint = "; this file is UTF-32 text: save it as UTF-8"
    elif head.startswith(UTF16_BOMS):
        hint = (
            '; this file is UTF-16 text (what Windows Notepad saves as "Unicode"): save it as UTF-8'
        )
    else:
        hint = "; the file seems to be in another encoding (such as Windows-1252): save it as UTF-8"
    return DataValidationError(
        [Problem(str(path), line, None, f"bytes {bad.hex(' ')}", f"UTF-8 text ({expected}){hint}")]
    )


#: What an output path itself can be wrong with (a file where a folder goes, a folder that
#: takes no files such as /proc, a name too long): the user's to fix, exit 2. What the machine
#: refuses (access, space) stays an `OSError`, which the command line answers with exit 3.
BAD_PATH_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP,
     errno.EINVAL}
)  # fmt: skip


def cannot_create(path: Path, exc: OSError) -> AdaptiveError:
    """The error for an output `path` the system would not create: 'cannot create /proc/evx:
    No such file or directory'."""
    return AdaptiveError(f"cannot create {path}: {exc.strerror or type(exc).__name__}")


def _not_a_folder(folder: Path) -> Path | None:
    """The first of `folder`'s ancestors (or `folder` itself) that exists and is not a folder,
    from the root down: what stops `folder` from being made; None when nothing does (`os.path`'s
    tests: a name the system refuses, too long, is no answer here but `mkdir`'s error)."""
    for part in [*reversed(folder.parents), folder]:
        if os.path.lexists(part) and not os.path.isdir(part):
            return part
    return None


def check_output_folder(folder: Path, target: Path | None = None) -> Path:
    """`folder` is an existing folder or can be made (no file stands on its path), checked
    before any work: else one `AdaptiveError` naming the file in the way and the output
    (`target`, a file to be written in `folder`; the folder itself when None)."""
    folder = Path(folder)
    blocker = _not_a_folder(folder)
    if blocker is None:
        return folder
    what = "a file" if os.path.isfile(blocker) else "not a folder"
    if target is None and blocker == folder:
        raise AdaptiveError(f"'{folder}' is {what}, not a folder: give a folder path")
    shown, role = (folder, "a folder") if target is None else (target, "written")
    raise AdaptiveError(f"'{blocker}' is {what}, so '{shown}' cannot be {role} under it")


def make_folder(folder: Path, target: Path | None = None) -> Path:
    """Create an output `folder` and its parents (`mkdir -p`), or raise one `AdaptiveError`
    naming the path and what is wrong (see `check_output_folder`; a folder the system will not
    create, such as one under /proc: 'cannot create ...'). Returns `folder`."""
    folder = check_output_folder(folder, target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno not in BAD_PATH_ERRNOS:
            raise
        check_output_folder(folder, target)  # made a file meanwhile: the same words
        raise cannot_create(folder, exc) from None
    return folder


def output_file(path: Path) -> Path:
    """The file an atomic write of `path` renames its temp file over: `path`, or, where `path`
    is a symlink, the file it points to (renaming over the link would turn the link into a plain
    file and leave its target as it was). An existing folder, device, FIFO or socket is refused
    with one `AdaptiveError` naming it: renaming over it would put a file in place of a device
    node (/dev/full) or a pipe a reader waits on. Creates nothing."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    check_output_folder(target.parent, path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:  # a link that loops, a name too long
        if exc.errno not in BAD_PATH_ERRNOS:
            raise
        raise cannot_create(path, exc) from None
    named = f"{path} (a link to {target})" if target != path else f"{path}"
    if stat.S_ISDIR(mode):
        raise AdaptiveError(f"{named} is a directory: give a file path")
    if not stat.S_ISREG(mode):
        raise AdaptiveError(f"{named} is not a regular file (a device or pipe): give a file path")
    return target


def create_temp_beside(path: Path) -> tuple[int, Path]:
    """A new, empty temp file in `path`'s folder, opened for writing: (fd, its path).

    Created with `O_EXCL` and mode 0666, so the process umask applies (unlike `mkstemp`). A
    folder that takes no files (/proc) is one `AdaptiveError` naming `path`."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in BAD_PATH_ERRNOS:
                raise
            raise cannot_create(path, exc) from None


def _prepare(path: Path) -> Path:
    """The file to write for `path` (`output_file`), its folder created (`make_folder`)."""
    target = output_file(path)
    make_folder(target.parent, Path(path))
    return target


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temp path beside `path` for a writer that wants a file name (Parquet, CSV), renamed
    over `path` when the block succeeds and removed when it fails (its folder is created).
    Through a symlink, the file it points to is replaced; see `output_file`."""
    path = _prepare(path)
    fd, tmp = create_temp_beside(path)  # with the umask: 0644, not mkstemp's 0600
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over `path`.

    Readers see either the old file or the new one, never a partial write. Through a symlink,
    the file it points to is replaced; see `output_file`.
    """
    path = _prepare(path)
    fd, tmp = create_temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def file_sha256(path: Path | str, block: int = 1 << 22) -> str:
    """sha256 of a file read in blocks (a district's profiles or placement table never sits in
    memory at once for its digest)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def hash_arrays(digest: Any, arrays: Mapping[str, np.ndarray]) -> None:
    """Feed `arrays` to a hashlib `digest` in name order: each one's name, dtype, shape and
    bytes (read in place, not copied), so an edited value, a truncated array or a renamed one
    changes the digest. What a saved state's checksum and a night's snapshot digest hold."""
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{value.dtype}:{value.shape}".encode())
        digest.update(value.reshape(-1).view(np.uint8))


def canonical_json(doc: dict[str, Any]) -> bytes:
    """The bytes a seal is computed over: sorted keys, no whitespace, UTF-8."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_of(doc: dict[str, Any]) -> str:
    """sha256 of `doc` without its own seal field."""
    return hashlib.sha256(
        canonical_json({k: v for k, v in doc.items() if k != SEAL_KEY})
    ).hexdigest()


def sealed_json(doc: dict[str, Any]) -> bytes:
    """`doc` as indented JSON with a `sha256` field sealing the rest (see the module docstring).

    The document is round-tripped through JSON first, so the seal is computed over exactly what
    a reader will parse (tuples become lists, non-string keys become strings)."""
    plain = json.loads(json.dumps({k: v for k, v in doc.items() if k != SEAL_KEY}))
    plain[SEAL_KEY] = seal_of(plain)
    return json.dumps(plain, indent=1, sort_keys=True).encode()


def is_json_lines(data: bytes) -> bool:
    """Whether `data` is JSON lines (its first two lines each a JSON object), which
    `json.loads` refuses as "Extra data" after the first line."""
    lines = [line for line in data[: 1 << 16].splitlines() if line.strip()][:2]
    try:
        return len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)
    except ValueError:
        return False


def json_lines_words(data: bytes) -> str:
    """'this looks like a JSON-lines file of learner profiles (one profile a line: give it as
    --profiles)' when its first line is a profile (`data.kinds.json_kind`), else 'this looks
    like a JSON-lines file (one JSON object a line)'. Never a line of it (a profile holds a
    student id)."""
    from adaptive.data.kinds import HEAD_BYTES, PROFILES, json_kind

    if json_kind(data[:HEAD_BYTES]) is PROFILES:
        return "this looks like a JSON-lines file of learner profiles (one profile a line: give it as --profiles)"
    return "this looks like a JSON-lines file (one JSON object a line)"


def read_sealed_json(
    path: Path, what: str, expected: str = "one JSON document as adaptive writes it"
) -> dict[str, Any]:
    """Parse a file written from `sealed_json` and verify its seal.

    Raises `ArtifactError` naming `what` (how the caller refers to the file) when it is missing,
    empty, not JSON, carries no seal (written before seals existed) or was altered. A file of
    JSON lines (a profiles file given in its place) is said to be one, not `expected` (what
    the caller reads, "an assignment written by `adaptive experiment assign`"), rather than
    a truncated or altered file."""
    try:
        data = Path(path).read_bytes()
        if not data.strip():  # said as such, not as the parser's "Expecting value"
            raise ArtifactError(f"{what}: an empty file; the file is truncated or altered")
        doc = json.loads(data)
    except FileNotFoundError as exc:
        raise ArtifactError(f"{what}: missing") from exc
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError) and is_json_lines(data):
            raise ArtifactError(f"{what}: {json_lines_words(data)}, not {expected}") from exc
        raise ArtifactError(
            f"{what}: not valid JSON ({exc}); the file is truncated or altered"
        ) from exc
    if not isinstance(doc, dict):
        raise ArtifactError(f"{what}: not a JSON object; the file is altered")
    if SEAL_KEY not in doc:
        raise ArtifactError(
            f"{what}: no {SEAL_KEY!r} checksum field: written by an older version of adaptive "
            "(or edited by hand), so its content cannot be verified; recreate it"
        )
    if doc[SEAL_KEY] != seal_of(doc):
        raise ArtifactError(f"{what}: checksum mismatch; the file was altered after it was written")
    return {k: v for k, v in doc.items() if k != SEAL_KEY}
