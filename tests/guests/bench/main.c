/*
 * The bench guest (not a test: `make bench` runs it). Measures the round trip of an exit that the
 * hypervisor handles (CPUID, a no-op hypercall, OUT to a hypervisor port) and the speed of plain
 * computation, with the same loops the hypervisor runs natively (keel/bench.h), and prints
 * "bench: <what> <cycles>" lines for bench/run.py.
 */
#include "guest.h"
#include <keel/bench.h>

static uint64_t compute_cycles(void)
{
    uint64_t best = ~0ULL;
    volatile uint64_t sink;

    for (int r = 0; r < KEEL_BENCH_ROUNDS; r++) {
        uint64_t t0 = keel_bench_tsc();

        sink = keel_bench_compute(KEEL_BENCH_COMPUTE_ITERS);
        t0 = keel_bench_tsc() - t0;
        best = t0 < best ? t0 : best;
    }
    (void)sink;
    return best;
}

void guest_main(const struct keel_start_info *si)
{
    uint64_t cpuid_c, hc_c, out_c, compute_c;

    (void)si;
    KEEL_BENCH_LOOP(cpuid_c, cpuid(0));
    KEEL_BENCH_LOOP(hc_c, guest_hypercall(KEEL_HC_NOP, 0, 0, 0, 0, 0));
    KEEL_BENCH_LOOP(out_c, outb(KEEL_TEST_FIFO_PORT, 0));
    compute_c = compute_cycles();
    printf("bench: guest cpuid %lu\n", (unsigned long)cpuid_c);
    printf("bench: guest hypercall %lu\n", (unsigned long)hc_c);
    printf("bench: guest out %lu\n", (unsigned long)out_c);
    printf("bench: guest compute %lu\n", (unsigned long)compute_c);
    report(cpuid_c && hc_c && out_c && compute_c, "bench-measured", "a loop measured 0 cycles");
}
