/*
 * Where vCPUs run. Each vCPU of this 2-vCPU guest spins and asks the hypervisor (TEST_WHERE)
 * which physical CPU runs it, over and over:
 *   "pinned" (manifest cpus=0): every sample is CPU 0, and both vCPUs still make progress;
 *   "spread" (no affinity): on a host with 2+ CPUs, the two busy vCPUs run on different CPUs
 *            most of the time (balancing), and every sample is an online CPU;
 *   "soft"   (manifest soft=1): on a host with 2+ CPUs, the vCPUs run mostly on CPU 1.
 */
#include "guest.h"

#define SAMPLES 400
#define SAMPLE_GAP_MS 1

struct samples {
    uint16_t cpu[SAMPLES];
    volatile unsigned int n;
    unsigned int online;
};

static struct samples per_vcpu[2];

static void sample(unsigned int vcpu, void *arg)
{
    struct samples *s = &per_vcpu[vcpu];

    (void)arg;
    for (unsigned int i = 0; i < SAMPLES; i++) {
        long w = guest_hypercall(KEEL_HC_TEST_WHERE, 0, 0, 0, 0, 0);

        s->cpu[i] = (uint16_t)w;
        s->online = (unsigned int)(w >> 16);
        s->n = i + 1;
        guest_busy_ms(SAMPLE_GAP_MS);
    }
}

static unsigned int count_on(const struct samples *s, unsigned int cpu)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < s->n; i++)
        n += s->cpu[i] == cpu;
    return n;
}

static void check_pinned(void)
{
    unsigned int on0 = count_on(&per_vcpu[0], 0) + count_on(&per_vcpu[1], 0);

    report(on0 == 2 * SAMPLES, "vCPUs pinned to CPU 0 only ever run there",
           "%u of %u samples on CPU 0", on0, 2 * SAMPLES);
}

static void check_spread(void)
{
    unsigned int apart = 0, bad = 0, online = per_vcpu[0].online;

    for (unsigned int i = 0; i < SAMPLES; i++) {
        apart += per_vcpu[0].cpu[i] != per_vcpu[1].cpu[i];
        bad += per_vcpu[0].cpu[i] >= online || per_vcpu[1].cpu[i] >= online;
    }
    report(bad == 0, "every sample is an online CPU", "%u bad of %u (online %u)", bad, SAMPLES, online);
    if (online < 2) {
        printf("affinity: one CPU online: nothing to spread\n");
        return;
    }
    report(apart * 10 >= SAMPLES * 7, "two busy vCPUs run on different CPUs (70% of samples)",
           "%u of %u samples apart", apart, SAMPLES);
}

static void check_soft(void)
{
    unsigned int on1 = count_on(&per_vcpu[0], 1) + count_on(&per_vcpu[1], 1);

    if (per_vcpu[0].online < 2) {
        printf("affinity: one CPU online: no CPU 1 to prefer\n");
        return;
    }
    report(on1 * 2 >= 2 * SAMPLES, "soft affinity: the vCPUs run mostly on the preferred CPU 1",
           "%u of %u samples on CPU 1", on1, 2 * SAMPLES);
}

void guest_main(const struct keel_start_info *si)
{
    bool done;

    if (guest_smp_start() != 2) {
        report(false, "second vCPU", "did not start");
        return;
    }
    guest_smp_call(1, sample, NULL);
    sample(0, NULL);
    done = guest_smp_wait(1, 4000000000ul);
    report(done && per_vcpu[1].n == SAMPLES, "both vCPUs finish their samples",
           "vCPU 1 took %u", per_vcpu[1].n);
    if (!strcmp(si->cmdline, "pinned"))
        check_pinned();
    else if (!strcmp(si->cmdline, "spread"))
        check_spread();
    else if (!strcmp(si->cmdline, "soft"))
        check_soft();
    else
        report(false, "arg", "unknown role \"%s\"", si->cmdline);
}
