"""`adaptive.files`: atomic writes through a symlink, and what an output path may not be (a
device, a pipe, a path under a file): one error naming it, never a device node replaced."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

from adaptive.data.io import atomic_write_csv
from adaptive.errors import AdaptiveError
from adaptive.files import atomic_write_bytes, make_folder, output_file


def test_writing_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path) -> None:
    """A user's trial: `--quarantine link.csv` turned the link into a plain file and left the
    file it points to as it was. Now the target is written (atomically, in its own folder)."""
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "rejected.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(os.path.relpath(target, tmp_path))
    atomic_write_bytes(link, b"new\n")
    assert link.is_symlink() and target.read_text() == "new\n"
    atomic_write_csv(pa.table({"x": [1]}), link)
    assert link.is_symlink() and target.read_text().splitlines() == ['"x"', "1"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["link.csv", "real", "rejected.csv"]


def test_a_dangling_symlink_is_written_through_to_the_file_it_names(tmp_path) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to("missing.csv")
    atomic_write_bytes(link, b"x")
    assert link.is_symlink() and (tmp_path / "missing.csv").read_bytes() == b"x"


def test_a_fifo_or_a_device_is_refused_not_replaced_by_a_file(tmp_path) -> None:
    """A user's trial: run as root, `--quarantine /dev/full` replaced the device node with a CSV
    file; a FIFO became a plain file. Now both are one error naming the path (the device is
    reached through a link here: the test writes nothing under /dev)."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    device = tmp_path / "device.csv"
    device.symlink_to(os.devnull)
    for path in (fifo, device):
        with pytest.raises(AdaptiveError, match="is not a regular file \\(a device or pipe\\)"):
            atomic_write_bytes(path, b"x")
        with pytest.raises(AdaptiveError, match=f"^{path}"):
            atomic_write_csv(pa.table({"x": [1]}), path)
    assert fifo.is_fifo() and device.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["device.csv", "pipe.csv"]


def test_a_folder_is_refused_as_a_file_to_write(tmp_path) -> None:
    with pytest.raises(AdaptiveError, match=f"{tmp_path} is a directory: give a file path"):
        output_file(tmp_path)


def test_a_path_under_a_file_is_one_error_naming_both(tmp_path) -> None:
    """`--out clean.csv/sub` was "internal error: NotADirectoryError" (a folder) and
    `--out clean.csv/x.parquet` "internal error: FileExistsError" (a file)."""
    (tmp_path / "clean.csv").write_text("x")
    under = tmp_path / "clean.csv" / "sub"
    with pytest.raises(AdaptiveError) as folder:
        make_folder(under / "deeper")
    assert str(folder.value) == (
        f"'{tmp_path / 'clean.csv'}' is a file, so '{under / 'deeper'}' cannot be a folder under it"
    )
    with pytest.raises(AdaptiveError) as file:
        atomic_write_bytes(tmp_path / "clean.csv" / "x.parquet", b"x")
    assert str(file.value) == (
        f"'{tmp_path / 'clean.csv'}' is a file, so '{tmp_path / 'clean.csv' / 'x.parquet'}' "
        "cannot be written under it"
    )
    with pytest.raises(AdaptiveError, match="is a file, not a folder: give a folder path"):
        make_folder(tmp_path / "clean.csv")
    assert (tmp_path / "clean.csv").read_text() == "x"


def test_a_path_the_system_will_not_create_is_one_error_naming_it(tmp_path) -> None:
    """`--out /proc/evx` was "internal error: FileNotFoundError"; a name too long is the same
    kind of mistake, and can be made in any folder."""
    long = tmp_path / ("x" * 300)
    with pytest.raises(AdaptiveError, match=f"^cannot create {long}: File name too long"):
        make_folder(long)
    with pytest.raises(AdaptiveError, match="^cannot create .*: File name too long"):
        atomic_write_bytes(tmp_path / f"{'x' * 300}.csv", b"x")
    assert list(tmp_path.iterdir()) == []
