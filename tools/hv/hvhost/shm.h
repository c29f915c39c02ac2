/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accessors for memory that the guest changes behind our back: guest RAM
 * and BAR2. Every load is a single atomic access so that the compiler can
 * neither tear it nor read it twice; callers copy the value into a local
 * and validate the local. The barrier helpers name the ordering the
 * VMBus protocol asks for (reference §3.9).
 */
#ifndef _HVHOST_SHM_H
#define _HVHOST_SHM_H

#include <stdint.h>

static inline uint32_t shm_read32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
}

static inline uint64_t shm_read64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

static inline uint32_t shm_load_acquire32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline void shm_write32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
}

static inline void shm_write64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

static inline void shm_store_release32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE);
}

static inline uint32_t shm_xchg32(void *p, uint32_t v)
{
	return __atomic_exchange_n((uint32_t *)p, v, __ATOMIC_SEQ_CST);
}

static inline uint64_t shm_xchg64(void *p, uint64_t v)
{
	return __atomic_exchange_n((uint64_t *)p, v, __ATOMIC_SEQ_CST);
}

static inline uint64_t shm_fetch_or64(void *p, uint64_t v)
{
	return __atomic_fetch_or((uint64_t *)p, v, __ATOMIC_SEQ_CST);
}

static inline uint8_t shm_fetch_or8(void *p, uint8_t v)
{
	return __atomic_fetch_or((uint8_t *)p, v, __ATOMIC_SEQ_CST);
}

/* A full barrier: stores before it are visible before loads after it. */
static inline void shm_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Loads before it complete before loads after it. */
static inline void shm_rmb(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* Stores before it are visible before stores after it. */
static inline void shm_wmb(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

#endif /* _HVHOST_SHM_H */
