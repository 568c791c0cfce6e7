/* The virtual I/O APIC (see <keel/vioapic.h> for the policies). */
#include <keel/string.h>
#include <keel/vioapic.h>

#define VIOAPIC_SAVE_MAGIC 0x33393038u   /* "8093" */
#define VIOAPIC_SAVE_VERSION 1u
#define VIOAPIC_ID_MASK 0x0f000000u
#define VIOAPIC_PIN_MASK ((1u << VIOAPIC_NR_PINS) - 1)
#define VIOAPIC_NR_REGS (VIOAPIC_REG_REDIR + 2 * VIOAPIC_NR_PINS)

/* Delivery modes an entry may send; 3 and 6 are reserved in the redirection table. */
static const bool vioapic_dm_valid[8] = {
    [0] = true, [1] = true, [2] = true, [4] = true, [5] = true, [7] = true,
};

static bool vioapic_line(const struct vioapic *ioapic, unsigned int pin)
{
    return ioapic->s.lines & (1u << pin);
}

static void vioapic_deliver(struct vioapic *ioapic, unsigned int pin)
{
    uint64_t e = ioapic->s.redir[pin];
    uint8_t dm = (e >> 8) & 7;

    if (!vioapic_dm_valid[dm])
        return;
    ioapic->env->deliver(ioapic->env->base.ctx, e >> 56, e & VIOAPIC_RTE_LOGICAL, dm, e & 0xff,
                         e & VIOAPIC_RTE_LEVEL);
}

/* A level entry sends one message per assertion until the EOI clears remote IRR. */
static void vioapic_try_level(struct vioapic *ioapic, unsigned int pin)
{
    uint64_t *e = &ioapic->s.redir[pin];

    if (!vioapic_line(ioapic, pin) || (*e & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)))
        return;
    *e |= VIOAPIC_RTE_REMOTE_IRR;
    vioapic_deliver(ioapic, pin);
}

void vioapic_set_irq(struct vioapic *ioapic, unsigned int pin, bool level)
{
    bool was;

    if (pin >= VIOAPIC_NR_PINS)
        return;
    was = vioapic_line(ioapic, pin);
    if (level)
        ioapic->s.lines |= 1u << pin;
    else
        ioapic->s.lines &= ~(1u << pin);
    if (ioapic->s.redir[pin] & VIOAPIC_RTE_LEVEL)
        vioapic_try_level(ioapic, pin);
    else if (level && !was && !(ioapic->s.redir[pin] & VIOAPIC_RTE_MASKED))
        vioapic_deliver(ioapic, pin);
}

void vioapic_eoi(struct vioapic *ioapic, uint8_t vector)
{
    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++) {
        uint64_t *e = &ioapic->s.redir[pin];

        if ((*e & 0xff) != vector || !(*e & VIOAPIC_RTE_LEVEL))
            continue;
        *e &= ~VIOAPIC_RTE_REMOTE_IRR;
        vioapic_try_level(ioapic, pin);
    }
}

/* --- registers --------------------------------------------------------------------------- */

static uint32_t vioapic_read_reg(const struct vioapic *ioapic, uint32_t idx)
{
    uint64_t e;

    if (idx == VIOAPIC_REG_ID || idx == VIOAPIC_REG_ARB)
        return ioapic->s.id;    /* the arbitration ID is loaded from the ID */
    if (idx == VIOAPIC_REG_VERSION)
        return VIOAPIC_VERSION;
    if (idx < VIOAPIC_REG_REDIR || idx >= VIOAPIC_NR_REGS)
        return 0;
    e = ioapic->s.redir[(idx - VIOAPIC_REG_REDIR) / 2];
    return idx & 1 ? e >> 32 : (uint32_t)e;
}

static void vioapic_write_redir(struct vioapic *ioapic, unsigned int pin, bool high,
                                uint32_t val)
{
    uint64_t *e = &ioapic->s.redir[pin];
    uint64_t half = high ? (uint64_t)val << 32 : val;
    uint64_t keep = high ? 0xffffffffull : 0xffffffff00000000ull;

    /* Only writable bits change; remote IRR and delivery status are the IOAPIC's own. */
    *e = (*e & keep) | (*e & VIOAPIC_RTE_REMOTE_IRR) | (half & ~keep & VIOAPIC_RTE_WRITABLE);
    if (!(*e & VIOAPIC_RTE_LEVEL))
        *e &= ~VIOAPIC_RTE_REMOTE_IRR;
    else
        vioapic_try_level(ioapic, pin);     /* unmasking an asserted level line */
}

static void vioapic_write_reg(struct vioapic *ioapic, uint32_t idx, uint32_t val)
{
    if (idx == VIOAPIC_REG_ID)
        ioapic->s.id = val & VIOAPIC_ID_MASK;
    else if (idx >= VIOAPIC_REG_REDIR && idx < VIOAPIC_NR_REGS)
        vioapic_write_redir(ioapic, (idx - VIOAPIC_REG_REDIR) / 2, idx & 1, val);
    /* version, arbitration and unimplemented indices are read-only */
}

uint32_t vioapic_mmio_read(struct vioapic *ioapic, uint32_t offset, unsigned int size)
{
    if (size != 4)
        return 0;
    if (offset == VIOAPIC_IOREGSEL)
        return ioapic->s.ioregsel;
    if (offset == VIOAPIC_IOWIN)
        return vioapic_read_reg(ioapic, ioapic->s.ioregsel);
    return 0;   /* the EOI register is write-only */
}

void vioapic_mmio_write(struct vioapic *ioapic, uint32_t offset, unsigned int size,
                        uint32_t val)
{
    if (size != 4)
        return;
    if (offset == VIOAPIC_IOREGSEL)
        ioapic->s.ioregsel = val & 0xff;
    else if (offset == VIOAPIC_IOWIN)
        vioapic_write_reg(ioapic, ioapic->s.ioregsel, val);
    else if (offset == VIOAPIC_EOIR)
        vioapic_eoi(ioapic, val & 0xff);
}

/* --- lifecycle --------------------------------------------------------------------------- */

void vioapic_init(struct vioapic *ioapic, const struct vioapic_env *env, uint8_t id)
{
    memset(&ioapic->s, 0, sizeof(ioapic->s));
    ioapic->env = env;
    ioapic->s.id = ((uint32_t)id << 24) & VIOAPIC_ID_MASK;
    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++)
        ioapic->s.redir[pin] = VIOAPIC_RTE_MASKED;
}

size_t vioapic_save(const struct vioapic *ioapic, void *buf, size_t len)
{
    uint32_t hdr[2] = { VIOAPIC_SAVE_MAGIC, VIOAPIC_SAVE_VERSION };

    if (len < VIOAPIC_SAVE_SIZE)
        return 0;
    memcpy(buf, hdr, sizeof(hdr));
    memcpy((char *)buf + sizeof(hdr), &ioapic->s, sizeof(ioapic->s));
    return VIOAPIC_SAVE_SIZE;
}

static bool vioapic_entry_valid(uint64_t e)
{
    if (e & ~(VIOAPIC_RTE_WRITABLE | VIOAPIC_RTE_REMOTE_IRR))
        return false;
    /* Remote IRR only exists for level entries. */
    return !(e & VIOAPIC_RTE_REMOTE_IRR) || (e & VIOAPIC_RTE_LEVEL);
}

static bool vioapic_state_valid(const struct vioapic_state *s)
{
    if ((s->id & ~VIOAPIC_ID_MASK) || s->ioregsel > 0xff || (s->lines & ~VIOAPIC_PIN_MASK) ||
        s->pad)
        return false;
    for (unsigned int pin = 0; pin < VIOAPIC_NR_PINS; pin++)
        if (!vioapic_entry_valid(s->redir[pin]))
            return false;
    return true;
}

int vioapic_load(struct vioapic *ioapic, const void *buf, size_t len)
{
    uint32_t hdr[2];
    struct vioapic_state s;

    if (len != VIOAPIC_SAVE_SIZE)
        return -EINVAL;
    memcpy(hdr, buf, sizeof(hdr));
    memcpy(&s, (const char *)buf + sizeof(hdr), sizeof(s));
    if (hdr[0] != VIOAPIC_SAVE_MAGIC || hdr[1] != VIOAPIC_SAVE_VERSION || !vioapic_state_valid(&s))
        return -EINVAL;
    ioapic->s = s;
    return 0;
}
