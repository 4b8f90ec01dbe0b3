/* SPDX-License-Identifier: BSD-3-Clause */
/* Every reason a worker drops a packet, as one X-macro list: it generates the
 * enum and the names `show drops` prints. Adding a reason is one line. */
#ifndef SL_DROP_REASONS_H
#define SL_DROP_REASONS_H

#define SL_DROP_REASONS(X) \
	X(NO_OUTPUT, "no-output")	/* port has no cross-connect / nowhere to go */ \
	X(TX_FULL, "tx-full")		/* egress queue full */

enum sl_drop {
#define X(e, s) SL_DROP_##e,
	SL_DROP_REASONS(X)
#undef X
	SL_DROP_MAX
};

extern const char *const sl_drop_names[SL_DROP_MAX];

#endif
