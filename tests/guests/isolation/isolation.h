/* The two roles of the isolation test, run as two domains of one group. */
#ifndef ISOLATION_H
#define ISOLATION_H

#include "guest.h"

void isolation_hostile(const struct keel_start_info *si);
void isolation_victim(const struct keel_start_info *si);

#endif
