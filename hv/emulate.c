/*
 * Guest accesses to guest-physical memory that is not RAM the guest may write: the p2m type
 * decides. The instruction is completed by the x86 emulator (hv/x86/emulate*.c), each of its
 * memory accesses going through the guest's page tables and the p2m: RAM is read and written,
 * read-only RAM drops writes, unmapped memory behaves like an empty bus (reads all ones, writes
 * vanish). Device-model MMIO without a device model fails the domain.
 */
#include <keel/dom0.h>
#include <keel/exits.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/printk.h>
#include <keel/string.h>
#include <keel/vplatform.h>
#include <keel/x86_emulate.h>

#define FXSAVE_XMM_OFFSET 160

struct emul_ctx {
    struct vcpu *v;
    struct vcpu_state *st;
    struct x86_emul_state *es;
    bool device;                        /* an access reached device-model MMIO */
    uint64_t device_gpa;
};

/* Translates for the emulator; a guest page fault becomes its #PF with the CPU's error code. */
static int emul_translate(struct emul_ctx *c, uint64_t linear, bool write, uint64_t *gpa)
{
    uint32_t pfec;
    int r = gva_to_gpa(c->v, c->st, linear, write ? GW_WRITE : GW_READ, gpa, &pfec);

    if (r == GUEST_FAULT) {
        c->es->event = (struct x86_emul_event){ .vector = X86_EXC_PF, .has_error_code = true,
                                                .error_code = pfec, .cr2 = linear };
        return X86EMUL_PAGE_FAULT;
    }
    return r ? X86EMUL_UNHANDLEABLE : 0;
}

static int emul_access(struct emul_ctx *c, uint64_t linear, void *buf, unsigned int size, bool write)
{
    uint64_t gpa;
    int r = emul_translate(c, linear, write, &gpa);
    enum p2m_type t;

    if (r)
        return r;
    t = p2m_lookup(&c->v->domain->p2m, _gfn(gpa >> PAGE_SHIFT), NULL, NULL);
    if (t == p2m_mmio_hv && !((c->v->domain->flags & DOMF_PRIVILEGED) ?
                              dom0_mmio(c->v, gpa, buf, size, write) :
                              vplatform_mmio(c->v, gpa, buf, size, write)))
        return 0;
    if (t == p2m_mmio_dm || t == p2m_mmio_hv) {
        c->device = true;
        c->device_gpa = gpa;
        return X86EMUL_UNHANDLEABLE;
    }
    if (t == p2m_ram_rw || t == p2m_ram_logdirty || (t == p2m_ram_ro && !write))
        return (write ? gpa_write(c->v->domain, gpa, buf, size) : gpa_read(c->v->domain, gpa, buf, size))
                   ? X86EMUL_UNHANDLEABLE : 0;
    if (!write)
        memset(buf, 0xff, size);        /* nothing answers: the bus floats high */
    return 0;                           /* writes to read-only or unmapped memory vanish */
}

static int emul_read(void *ctx, enum x86_seg seg, uint64_t linear, void *buf, unsigned int size)
{
    return emul_access(ctx, linear, buf, size, false);
}

static int emul_write(void *ctx, enum x86_seg seg, uint64_t linear, const void *buf, unsigned int size)
{
    return emul_access(ctx, linear, (void *)buf, size, true);
}

static const struct x86_emul_ops emul_ops = { .read = emul_read, .write = emul_write };

/* Our segment attributes are AMD's 12 bits; the emulator takes the VMX layout. */
static void load_state(struct vcpu *v, const struct vcpu_state *st, struct x86_emul_state *es)
{
    memcpy(es->gpr, &v->gprs, sizeof(es->gpr));
    es->rip = st->rip;
    es->rflags = st->rflags;
    for (unsigned int i = 0; i < 6; i++) {
        uint32_t a = st->seg[i].attr;

        es->seg[i] = (struct x86_emul_segment){
            .base = st->seg[i].base, .limit = st->seg[i].limit,
            .attr = (a & 0xff) | ((a & 0xf00) << 4) | ((a & 0x80) ? 0 : X86_SEGA_UNUSABLE),
        };
    }
    es->mode = vcpu_cpu_mode(st);
    es->cpl = (uint8_t)st->cpl;
    es->cr0 = st->cr0;
    es->cr4 = st->cr4;
    es->efer = st->efer;
    /* The guest's XMM registers are live in the CPU (this vCPU's FPU state is loaded). */
    __asm__ volatile("fxsave64 %0" : "=m"(v->fpu));
    for (unsigned int i = 0; i < 16; i++)
        memcpy(es->xmm[i], v->fpu + FXSAVE_XMM_OFFSET + 16 * i, 16);
}

static void store_state(struct vcpu *v, struct vcpu_state *st, const struct x86_emul_state *es,
                        bool done)
{
    memcpy(&v->gprs, es->gpr, sizeof(v->gprs));
    for (unsigned int i = 0; i < 16; i++)
        memcpy(v->fpu + FXSAVE_XMM_OFFSET + 16 * i, es->xmm[i], 16);
    __asm__ volatile("fxrstor64 %0" :: "m"(v->fpu));
    st->rip = es->rip;
    st->rflags = es->rflags;
    hvm->set_state(v, st, STATE_RIP | STATE_RFLAGS | (done ? STATE_END_SHADOW : 0));
}

static void deliver_event(struct vcpu *v, struct vcpu_state *st, const struct x86_emul_event *ev)
{
    if (ev->vector == X86_EXC_PF) {
        st->cr2 = ev->cr2;
        hvm->set_state(v, st, STATE_CR2);
    }
    hvm->inject_exception(v, ev->vector, ev->has_error_code, ev->error_code);
}

int emulate_unbacked_access(struct vcpu *v, struct vcpu_state *st, char *why, size_t why_len)
{
    struct x86_emul_state es_store, *es = &es_store;     /* under 1 KiB: the stack has room */
    struct emul_ctx c = { .v = v, .st = st, .es = es };
    uint8_t bytes[X86_MAX_INSN_LEN];
    size_t n = vcpu_fetch_insn(v, st, bytes);
    int r;

    memset(es, 0, sizeof(*es));
    load_state(v, st, es);
    r = n ? x86_emulate(es, &emul_ops, &c, bytes, n) : X86EMUL_UNHANDLEABLE;
    if (r == X86EMUL_OK || r == X86EMUL_RETRY || r == X86EMUL_EXCEPTION)
        store_state(v, st, es, r == X86EMUL_OK);
    if (r == X86EMUL_EXCEPTION)
        deliver_event(v, st, &es->event);
    if (r != X86EMUL_UNHANDLEABLE)
        return 0;
    if (c.device)
        snprintf(why, why_len, "unhandled MMIO at gpa %llx (RIP %llx): no device emulates it",
                 (unsigned long long)c.device_gpa, (unsigned long long)st->rip);
    else
        snprintf(why, why_len, "instruction %02x %02x %02x at RIP %llx cannot be emulated",
                 bytes[0], n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, (unsigned long long)st->rip);
    return -ENOSYS;
}

void exit_handle_p2m(struct vcpu *v, struct vm_exit *e)
{
    struct domain *d = v->domain;
    enum p2m_type t = p2m_lookup(&d->p2m, _gfn(e->p2m.gpa >> PAGE_SHIFT), NULL, NULL);
    struct vcpu_state st;
    char why[128];

    if (t == p2m_ram_rw)
        return;                         /* a stale translation: the retry succeeds */
    hvm->get_state(v, &st);
    if (t == p2m_mmio_dm) {
        domain_crash(d, "v%u: unhandled MMIO %s at gpa %llx (RIP %llx): no device emulates it",
                     v->id, e->p2m.write ? "write" : "read", (unsigned long long)e->p2m.gpa,
                     (unsigned long long)st.rip);
        return;
    }
    if (e->p2m.in_guest_walk || e->p2m.fetch) {
        domain_crash(d, "v%u: %s at gpa %llx, which is %s (RIP %llx)", v->id,
                     e->p2m.fetch ? "instruction fetch" : "guest page-table walk",
                     (unsigned long long)e->p2m.gpa, p2m_type_name(t), (unsigned long long)st.rip);
        return;
    }
    if (emulate_unbacked_access(v, &st, why, sizeof(why)))
        domain_crash(d, "v%u: access to %s gpa %llx: %s", v->id, p2m_type_name(t),
                     (unsigned long long)e->p2m.gpa, why);
}
