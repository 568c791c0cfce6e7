#!/bin/sh
# Turns `nm -n` output of keel.elf into the .ksyms section used to name functions in backtraces.
# With /dev/null as input it writes an empty table (the first link pass).
set -eu
awk '
BEGIN { n = 0 }
$2 ~ /^[tT]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "\t.section .ksyms, \"a\""
    print "\t.balign 8"
    print "\t.globl ksym_count"
    print "ksym_count:\t.quad " n
    print "\t.globl ksym_addrs"
    print "ksym_addrs:"
    for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
    print "\t.globl ksym_name_offs"
    print "ksym_name_offs:"
    off = 0
    for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
    print "\t.globl ksym_names"
    print "ksym_names:"
    for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}' "$1"
