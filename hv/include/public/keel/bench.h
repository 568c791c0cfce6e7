/*
 * Measurement loops that run both natively in the hypervisor (bench=1 on its command line) and
 * in the bench guest, so that the two numbers compare: same code, same compiler, same iteration
 * counts. Each returns TSC cycles per iteration, the best of KEEL_BENCH_ROUNDS rounds (emulated
 * test hosts are noisy; the minimum is the cost without interference).
 */
#ifndef KEEL_PUBLIC_BENCH_H
#define KEEL_PUBLIC_BENCH_H

#include <stdint.h>

#define KEEL_BENCH_ITERS 2000
#define KEEL_BENCH_ROUNDS 5
#define KEEL_BENCH_COMPUTE_ITERS 2000000

static inline uint64_t keel_bench_tsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* An integer workload with no memory traffic: compute speed inside and outside a guest. */
static inline uint64_t keel_bench_compute(uint64_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL, sum = 0;

    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        sum += x * (i | 1);
    }
    return sum;
}

/* Runs op KEEL_BENCH_ITERS times per round; returns the cheapest round's cycles per op. */
#define KEEL_BENCH_LOOP(result, op)                                         \
    do {                                                                    \
        uint64_t best_ = ~0ULL;                                             \
        for (int r_ = 0; r_ < KEEL_BENCH_ROUNDS; r_++) {                    \
            uint64_t t0_ = keel_bench_tsc();                                \
            for (int i_ = 0; i_ < KEEL_BENCH_ITERS; i_++) {                 \
                op;                                                         \
            }                                                               \
            uint64_t t_ = keel_bench_tsc() - t0_;                           \
            best_ = t_ < best_ ? t_ : best_;                                \
        }                                                                   \
        (result) = best_ / KEEL_BENCH_ITERS;                                \
    } while (0)

#endif
