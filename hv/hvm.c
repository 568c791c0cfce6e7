/* Choosing the backend, and guest-state helpers common to both. */
#include <keel/cpufeat.h>
#include <keel/hvm.h>
#include <keel/mm.h>
#include <keel/printk.h>

const struct hvm_ops *hvm;
bool hvm_guest_rdtscp;

static void *p2m_alloc_page(paddr_t *pa)
{
    void *va = alloc_pages(0);

    if (va)
        *pa = virt_to_phys(va);
    return va;
}

static void p2m_free_page(void *va)
{
    free_pages(va, 0);
}

static void *p2m_table_va(paddr_t pa)
{
    return phys_to_virt(pa);
}

static const struct p2m_mem_ops p2m_frames = {
    .alloc_page = p2m_alloc_page, .free_page = p2m_free_page, .table_va = p2m_table_va,
};

bool hvm_init(void)
{
    p2m_set_mem_ops(&p2m_frames);
    if (svm_supported())
        hvm = &svm_ops;
    else if (vmx_supported())
        hvm = &vmx_ops;
    if (!hvm) {
        pr_warn("hvm: no usable AMD-V or VT-x backend on this CPU: guests cannot run\n");
        return false;
    }
    if (hvm->cpu_enable()) {
        pr_err("hvm: %s could not be enabled on CPU 0\n", hvm->name);
        hvm = NULL;
        return false;
    }
    hvm_guest_rdtscp = (cpuid(0x80000001).edx & (1u << 27)) && (hvm == &svm_ops || vmx_guest_rdtscp());
    pr_info("hvm: using %s\n", hvm->name);
    return true;
}

void vcpu_advance_rip(struct vcpu *v, unsigned int len)
{
    struct vcpu_state st;

    hvm->get_state(v, &st);
    st.rip += len;
    if (!(st.efer & EFER_LMA) || !(st.seg[SEG_CS].attr & (1 << 9)))
        st.rip = (uint32_t)st.rip;      /* outside 64-bit code RIP wraps at 4 GiB (EIP/IP) */
    st.rflags &= ~(1ULL << 16);         /* RF */
    hvm->set_state(v, &st, STATE_RIP | STATE_RFLAGS | STATE_END_SHADOW);
}

enum x86_cpu_mode vcpu_cpu_mode(const struct vcpu_state *st)
{
    uint16_t cs = st->seg[SEG_CS].attr;

    if ((st->efer & EFER_LMA) && (cs & (1 << 9)))   /* CS.L */
        return X86_MODE_64;
    if ((st->cr0 & X86_CR0_PE) && !(st->rflags & (1 << 17)) && (cs & (1 << 10)))  /* CS.D, not VM86 */
        return X86_MODE_32;
    return X86_MODE_16;
}

static const char *const seg_names[SEG_NR] = { "ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR", "GDTR", "IDTR" };

void vcpu_dump(struct vcpu *v, const char *why)
{
    struct vcpu_state st;
    const struct guest_gprs *g = &v->gprs;

    hvm->get_state(v, &st);
    pr_err("d%u v%u (%s) guest state at %s:\n", v->domain->id, v->id, v->domain->name, why);
    pr_err("  RIP %016llx RSP %016llx RFLAGS %08llx CPL %u\n", (unsigned long long)st.rip,
           (unsigned long long)st.rsp, (unsigned long long)st.rflags, st.cpl);
    pr_err("  RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n", (unsigned long long)g->rax,
           (unsigned long long)g->rbx, (unsigned long long)g->rcx, (unsigned long long)g->rdx);
    pr_err("  RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n", (unsigned long long)g->rsi,
           (unsigned long long)g->rdi, (unsigned long long)g->rbp, (unsigned long long)g->r8);
    pr_err("  R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n", (unsigned long long)g->r9,
           (unsigned long long)g->r10, (unsigned long long)g->r11, (unsigned long long)g->r12);
    pr_err("  R13 %016llx R14 %016llx R15 %016llx\n", (unsigned long long)g->r13,
           (unsigned long long)g->r14, (unsigned long long)g->r15);
    pr_err("  CR0 %08llx CR2 %016llx CR3 %016llx CR4 %08llx EFER %llx\n", (unsigned long long)st.cr0,
           (unsigned long long)st.cr2, (unsigned long long)st.cr3, (unsigned long long)st.cr4,
           (unsigned long long)st.efer);
    for (unsigned int i = 0; i < SEG_NR; i++)
        pr_err("  %-4s %04x base %016llx limit %08x attr %03x\n", seg_names[i], st.seg[i].sel,
               (unsigned long long)st.seg[i].base, st.seg[i].limit, st.seg[i].attr);
    if (hvm->dump)
        hvm->dump(v);
}
