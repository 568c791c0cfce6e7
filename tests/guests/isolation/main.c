/*
 * Isolation: a hostile domain probes and scribbles on everything it can reach while a victim
 * domain in the same group watches its own memory. arg=hostile or arg=victim picks the role.
 */
#include "isolation.h"

void guest_main(const struct keel_start_info *si)
{
    if (!strcmp(si->cmdline, "hostile"))
        isolation_hostile(si);
    else if (!strcmp(si->cmdline, "victim"))
        isolation_victim(si);
    else
        report(false, "isolation-role", "arg \"%s\" is neither hostile nor victim", si->cmdline);
}
