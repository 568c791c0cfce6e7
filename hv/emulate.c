/*
 * Guest accesses to guest-physical memory that is not RAM the guest may write: the p2m type
 * decides. Unmapped memory behaves like an empty bus (reads all ones, writes vanish), a write to
 * read-only RAM vanishes, and device-model MMIO without a device model fails the domain. Only
 * plain loads and stores are completed here; the full instruction emulator comes with the
 * virtual platform.
 */
#include <keel/exits.h>
#include <keel/guest_mem.h>
#include <keel/hvm.h>
#include <keel/printk.h>
#include <keel/string.h>

static uint64_t width_mask(unsigned int bytes)
{
    return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* Writes val to a general register the way a MOV of op_size bytes does. */
static void set_reg(struct vcpu *v, const struct x86_insn *insn, unsigned int reg, unsigned int size,
                    uint64_t val)
{
    uint64_t *r = &((uint64_t *)&v->gprs)[reg & 15];

    if (size == 1 && !insn->rex && reg >= 4 && reg < 8) {   /* AH, CH, DH, BH */
        r = &((uint64_t *)&v->gprs)[reg - 4];
        *r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
        return;
    }
    if (size == 4)
        *r = (uint32_t)val;             /* 32-bit results clear the upper half */
    else
        *r = (*r & ~width_mask(size)) | (val & width_mask(size));
}

/* What a load from an empty bus leaves in the destination, or false if insn is no load/store. */
static bool classify(const struct x86_insn *insn, bool *load, unsigned int *dst_size, uint64_t *val)
{
    uint8_t op = insn->opcode;

    *val = ~0ULL;
    *dst_size = insn->op_size;
    if (insn->map == 0 && (op == 0x88 || op == 0x89 || op == 0xa2 || op == 0xa3 ||
                           ((op == 0xc6 || op == 0xc7) && (insn->modrm_reg & 7) == 0))) {
        *load = false;
        return true;
    }
    *load = true;
    if (insn->map == 0 && (op == 0x8a || op == 0x8b || op == 0xa0 || op == 0xa1))
        return true;
    if (insn->map == 1 && (op == 0xb6 || op == 0xb7)) {   /* MOVZX: all ones of the source only */
        *val = op == 0xb6 ? 0xff : 0xffff;
        return true;
    }
    return insn->map == 1 && (op == 0xbe || op == 0xbf);  /* MOVSX of all ones: all ones */
}

int emulate_unbacked_access(struct vcpu *v, struct vcpu_state *st, char *why, size_t why_len)
{
    uint8_t bytes[X86_MAX_INSN_LEN];
    struct x86_insn insn;
    unsigned int size;
    uint64_t val;
    bool load;
    size_t n = vcpu_fetch_insn(v, st, bytes);

    if (!n || x86_decode(bytes, n, vcpu_cpu_mode(st), &insn)) {
        snprintf(why, why_len, "cannot decode the instruction at RIP %llx", (unsigned long long)st->rip);
        return -ENOSYS;
    }
    if (!insn.mem || insn.lock || insn.rep || insn.vex || !classify(&insn, &load, &size, &val)) {
        snprintf(why, why_len, "instruction %02x%02x%02x at RIP %llx is not a plain load or store",
                 bytes[0], n > 1 ? bytes[1] : 0, n > 2 ? bytes[2] : 0, (unsigned long long)st->rip);
        return -ENOSYS;
    }
    if (load) {
        unsigned int reg = (insn.opcode >= 0xa0 && insn.opcode <= 0xa3) ? 0 : insn.modrm_reg;

        set_reg(v, &insn, reg, size, val);
    }
    vcpu_advance_rip(v, insn.len);
    return 0;
}

void exit_handle_p2m(struct vcpu *v, struct vm_exit *e)
{
    struct domain *d = v->domain;
    enum p2m_type t = p2m_lookup(&d->p2m, _gfn(e->p2m.gpa >> PAGE_SHIFT), NULL, NULL);
    struct vcpu_state st;
    char why[96];

    if (t == p2m_ram_rw)
        return;                         /* a stale translation: the retry succeeds */
    hvm->get_state(v, &st);
    if (t == p2m_mmio_dm || t == p2m_mmio_hv) {
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
