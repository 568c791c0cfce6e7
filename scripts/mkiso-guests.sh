#!/bin/sh
# mkiso-guests.sh OUT.iso KEEL.ELF "CMDLINE" MANIFEST GUEST_DIR
# A boot image that runs the test guests listed in MANIFEST ("<binary> <module string>" lines).
set -eu
out=$1 elf=$2 cmdline=$3 manifest=$4 dir=$5
set --
while read -r bin rest; do
    case "$bin" in ''|'#'*) continue ;; esac
    set -- "$@" "$dir/$bin" "$rest"
done < "$manifest"
exec "$(dirname "$0")/mkiso.sh" "$out" "$elf" "$cmdline" "$@"
