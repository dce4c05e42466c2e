/* Inside the PoCL quirks unit only (quirks_pocl.c, quirks_pocl_helper.c): what one of its files
 * hands the other. The rest of clnet reaches the unit through runtime/quirks.h. */
#ifndef CLNET_RUNTIME_QUIRKS_POCL_H
#define CLNET_RUNTIME_QUIRKS_POCL_H

/* --compile-helper / CLNET_COMPILE_HELPER: 0, 1, or OPTIONS_UNSET (on with 2+ processors). */
void quirks_helper_configure(int compile_helper);

#endif
