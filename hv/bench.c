/*
 * Native halves of the benchmarks (bench=1): the loops of keel/bench.h run by the hypervisor
 * itself, printed as "bench: native <what> <cycles>" for bench/run.py to set against the guest's.
 */
#include <keel/cpu.h>
#include <keel/printk.h>
#include <keel/selftest.h>
#include <keel/time.h>
#include <public/keel/abi.h>
#include <public/keel/bench.h>

/* Stands in for the hypercall: the cheapest call the hypervisor can make into itself. */
static __attribute__((noinline)) uint64_t bench_nop_call(uint64_t x)
{
    __asm__ volatile("" : "+r"(x));
    return x;
}

void bench_native(void)
{
    uint64_t cpuid_c, call_c, out_c, compute_c = ~0ULL;
    volatile uint64_t sink = 0;

    KEEL_BENCH_LOOP(cpuid_c, (void)cpuid(0));
    KEEL_BENCH_LOOP(call_c, sink += bench_nop_call(sink));
    KEEL_BENCH_LOOP(out_c, outb(KEEL_TEST_FIFO_PORT, 0));
    for (int r = 0; r < KEEL_BENCH_ROUNDS; r++) {
        uint64_t t0 = keel_bench_tsc();

        sink = keel_bench_compute(KEEL_BENCH_COMPUTE_ITERS);
        t0 = keel_bench_tsc() - t0;
        compute_c = t0 < compute_c ? t0 : compute_c;
    }
    pr_info("bench: tsc_khz %llu\n", (unsigned long long)tsc_khz);
    pr_info("bench: native cpuid %llu\n", (unsigned long long)cpuid_c);
    pr_info("bench: native hypercall %llu\n", (unsigned long long)call_c);
    pr_info("bench: native out %llu\n", (unsigned long long)out_c);
    pr_info("bench: native compute %llu\n", (unsigned long long)compute_c);
}
