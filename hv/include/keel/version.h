/* Version of the hypervisor; KEEL_COMMIT comes from the build. */
#ifndef KEEL_VERSION_H
#define KEEL_VERSION_H

#define KEEL_VERSION "0.1"
#ifndef KEEL_COMMIT
#define KEEL_COMMIT "unknown"
#endif

#endif
