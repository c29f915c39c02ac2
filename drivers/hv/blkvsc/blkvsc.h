/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hv_blkvsc's command building, shared with its KUnit suite.
 */
#ifndef _HV_BLKVSC_H
#define _HV_BLKVSC_H

#include <linux/types.h>

#define BLKVSC_UNMAP_LEN	24	/* UNMAP parameter list of one range */
#define BLKVSC_CDB_FUA		0x08	/* READ/WRITE 10/16 byte 1 */

#if IS_ENABLED(CONFIG_KUNIT)
u8 blkvsc_cdb_rw(u8 *cdb, bool write, u64 lba, u32 blocks, bool fua);
u8 blkvsc_cdb_unmap(u8 *cdb, u8 *param, u64 lba, u32 blocks);
u8 blkvsc_cdb_write_same(u8 *cdb, u64 lba, u32 blocks);
bool blkvsc_block_size_ok(u32 size);
#endif

#endif /* _HV_BLKVSC_H */
