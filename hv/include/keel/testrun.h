/*
 * Running test guests: multiboot2 modules whose string starts with "guest " become domains that
 * the hypervisor runs one after another (or together, by group), judging each by how it ended
 * and by the verdict it printed. The string:
 *   guest <name> mem=<size> vcpus=<n> [group=<g>] [timeout=<s>]
 *         [arg=<word>] [console=input] [expect=poweroff|triple-fault|crash:<text>]
 * crash:<text> takes the rest of the string, spaces included, so expect= comes last.
 * console=input creates the domain with DOMF_CONSOLE_INPUT: it takes the console focus.
 */
#ifndef KEEL_TESTRUN_H
#define KEEL_TESTRUN_H

#include <keel/bootinfo.h>

/* Reads the guest modules; returns how many there are (0: nothing to run). */
unsigned int testrun_collect(const struct boot_info *bi);
/* Runs them all and prints one line per guest and a summary; true if every one passed. */
bool testrun_run_all(bool check_memory);

#endif
