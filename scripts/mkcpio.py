#!/usr/bin/env python3
"""mkcpio.py OUT < SPEC: writes an initramfs archive in the "newc" cpio format the kernel unpacks.

SPEC has one entry a line (parents before children), in the spirit of the kernel's own list:
    dir   <path> <mode>
    file  <path> <source file> <mode>
    slink <path> <target> <mode>
    nod   <path> <mode> c|b <major> <minor>
Modes are octal. Every entry belongs to root and has time 0, so the same inputs always give the
same bytes. Device nodes are written without being created on the host, so no root is needed.
"""
import stat
import sys

KINDS = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "slink": stat.S_IFLNK}


def pad4(n):
    return b"\0" * (-n % 4)


def member(out, ino, name, mode, data=b"", nlink=1, rdev=(0, 0)):
    """One header (magic 070701, thirteen 8-digit hex fields), the name, the data."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    head = b"070701" + b"".join(b"%08x" % f for f in fields)
    out.write(head + name_b + pad4(len(head) + len(name_b)))
    out.write(data + pad4(len(data)))


def entry(out, ino, words, lineno):
    kind, path = words[0], words[1].lstrip("/")
    if kind == "dir" and len(words) == 3:
        member(out, ino, path, KINDS[kind] | int(words[2], 8), nlink=2)
    elif kind == "file" and len(words) == 4:
        with open(words[2], "rb") as f:
            member(out, ino, path, KINDS[kind] | int(words[3], 8), f.read())
    elif kind == "slink" and len(words) == 4:
        member(out, ino, path, KINDS[kind] | int(words[3], 8), words[2].encode())
    elif kind == "nod" and len(words) == 6 and words[3] in ("c", "b"):
        kind_bits = stat.S_IFCHR if words[3] == "c" else stat.S_IFBLK
        member(out, ino, path, kind_bits | int(words[2], 8), rdev=(int(words[4]), int(words[5])))
    else:
        sys.exit(f"mkcpio: line {lineno}: cannot read {' '.join(words)!r}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkcpio.py OUT < SPEC")
    with open(sys.argv[1], "wb") as out:
        ino = 1
        for lineno, line in enumerate(sys.stdin, 1):
            words = line.split()
            if words and not words[0].startswith("#"):
                entry(out, ino, words, lineno)
                ino += 1
        member(out, 0, "TRAILER!!!", 0)


if __name__ == "__main__":
    main()
