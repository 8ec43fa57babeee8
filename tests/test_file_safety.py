"""What `apply` does to the files around the ones it fixes: symlinks, read-only files and folders,
hard links, owners, FIFOs. Run through the installed console script on a real file system."""

from __future__ import annotations

import os
import stat

import pytest

from test_cli import NOBODY, _only_error_names, fixed, run, sample, unprivileged, write  # noqa: F401  (`run` is a fixture)


def test_a_walk_does_not_follow_a_symlink_out_of_the_given_paths(run, tmp_path):
    outside = write(tmp_path / "outside" / "theirs.cpp", sample(1, "T"))
    tree = tmp_path / "tree"
    mine = write(tree / "mine.cpp", sample(1))
    (tree / "link.cpp").symlink_to(outside)
    result = run("apply", ".", cwd=tree)
    assert result.code == 0, result.err
    assert mine.read_text() == fixed(sample(1))
    assert outside.read_text() == sample(1, "T")
    assert (tree / "link.cpp").is_symlink()


def test_a_symlink_inside_the_given_paths_edits_its_target_once_and_stays_a_link(run, tmp_path):
    target = write(tmp_path / "src" / "real.cpp", sample(2))
    (tmp_path / "alias.cpp").symlink_to(target)
    result = run("apply", ".")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == "Fixed 2 findings in 1 file (0 remaining)."
    assert target.read_text() == fixed(sample(2))
    assert (tmp_path / "alias.cpp").is_symlink() and os.readlink(tmp_path / "alias.cpp") == str(target)
    named = run("check", "alias.cpp", "src")  # named explicitly beside its target: still one file
    assert named.code == 0 and not named.findings, named.out


def test_a_symlink_named_explicitly_to_a_file_outside_is_not_written(run, tmp_path):
    outside = write(tmp_path / "outside" / "theirs.cpp", sample(1, "T"))
    tree = tmp_path / "tree"
    (tree).mkdir()
    (tree / "link.cpp").symlink_to(outside)
    mine = write(tree / "mine.cpp", sample(1))
    result = run("apply", "link.cpp", "mine.cpp", cwd=tree)
    assert result.code == 2
    _only_error_names(result, "link.cpp")
    assert "outside the given paths" in result.err
    assert outside.read_text() == sample(1, "T") and (tree / "link.cpp").is_symlink()
    assert mine.read_text() == fixed(sample(1))


def test_a_read_only_file_is_refused_and_the_others_are_written(run, tmp_path):
    locked = write(tmp_path / "locked.cpp", sample(1, "L"))
    locked.chmod(0o444)
    other = write(tmp_path / "other.cpp", sample(1))
    result = run("apply")
    assert result.code == 2
    _only_error_names(result, "locked.cpp")
    assert "read-only" in result.err
    assert locked.read_text() == sample(1, "L") and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert other.read_text() == fixed(sample(1))
    # What remains is re-checked after writing: the refused file keeps its finding.
    assert result.out.splitlines()[-1] == "Fixed 1 finding in 1 file (1 remaining)."
    assert [m["path"] for m in result.findings] == ["locked.cpp"]


def test_a_file_with_hard_links_is_rewritten_in_place(run, tmp_path):
    path = write(tmp_path / "src" / "a.cpp", sample(1))
    other_name = tmp_path / "backup" / "a.cpp"
    other_name.parent.mkdir()
    os.link(path, other_name)
    inode = path.stat().st_ino
    assert run("apply", "src").code == 0
    assert path.stat().st_ino == inode and path.stat().st_nlink == 2
    assert other_name.read_text() == fixed(sample(1))


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a file that belongs to someone else")
def test_apply_keeps_owner_and_group(run, tmp_path):
    path = write(tmp_path / "a.cpp", sample(1))
    os.chown(path, NOBODY, NOBODY)
    assert run("apply").code == 0
    assert path.read_text() == fixed(sample(1))
    assert (path.stat().st_uid, path.stat().st_gid) == (NOBODY, NOBODY)


def test_a_read_only_folder_is_one_error_and_the_rest_is_written(run, nbfix_cmd, tmp_path):
    locked = tmp_path / "locked"
    inside = write(locked / "a.cpp", sample(1, "A"))
    free = write(tmp_path / "free" / "b.cpp", sample(1))
    kwargs, restore = unprivileged(tmp_path, nbfix_cmd, [tmp_path, inside, free, free.parent])
    locked.chmod(0o555)
    try:
        result = run("apply", "--no-cache", **kwargs)
    finally:
        locked.chmod(0o755)
        for folder, mode in reversed(restore):
            folder.chmod(mode)
    assert result.code == 2, result.err
    _only_error_names(result, "locked/a.cpp")
    assert inside.read_text() == sample(1, "A")
    assert free.read_text() == fixed(sample(1))


@pytest.mark.parametrize("layout", ["named", "discovered"])
def test_a_fifo_is_skipped_with_one_line_and_does_not_hang(run, tmp_path, layout):
    os.mkfifo(tmp_path / "pipe.cpp")
    write(tmp_path / "good.cpp", sample(2))
    args = ["pipe.cpp", "good.cpp"] if layout == "named" else []
    result = run("check", *args)  # the fixture's timeout turns a hang into a failure
    assert result.code == 2
    _only_error_names(result, "pipe.cpp")
    assert "not a regular file" in result.err
    assert [m["path"] for m in result.findings] == ["good.cpp", "good.cpp"]


def test_what_remains_is_rechecked_after_writing(run, tmp_path):
    """A fix in one file settles a finding in another: registering the exception in a.cpp (which
    sees its header) answers b.cpp's suggestion (which does not)."""
    write(tmp_path / "errors.h", "#pragma once\n#include <stdexcept>\n"
          "struct ParseError : std::runtime_error { using std::runtime_error::runtime_error; };\n")
    module = '#include <nanobind/nanobind.h>\n{include}namespace nb = nanobind;\nNB_MODULE({name}, m) {{\n    m.def("f", []() {{ return 1; }});\n}}\n'
    write(tmp_path / "a.cpp", module.format(include='#include "errors.h"\n', name="a_ext"))
    write(tmp_path / "b.cpp", module.format(include="", name="b_ext"))
    before = run("check", "--no-cache")
    assert sorted(line.split(":")[0] for line in before.out.splitlines() if "NB202" in line) == ["a.cpp", "b.cpp"]
    result = run("apply", "--no-cache")
    assert result.code == 0, result.out
    assert result.out.splitlines()[-1] == "Fixed 1 finding in 1 file (0 remaining)."
    assert "b.cpp" not in result.out
