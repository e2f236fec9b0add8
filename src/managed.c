// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * managed.c - managed pools: the userspace analogue of the kernel's
 * devm_gen_pool_create(), gen_pool_get() and of_gen_pool_get().
 *
 * An owner stands in for a struct device: pools are attached to it by name
 * and destroyed with it. Owners are found by name, so "owner/pool" names a
 * pool process-wide (the device-tree phandle lookup of of_gen_pool_get).
 * Everything here is a setup path: one process-wide mutex guards the
 * registry, and none of it is touched by alloc or free.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct gen_pool_owner {
	char *name;
	struct gen_pool *pools; /* via gen_pool.mgr_next */
	struct gen_pool_owner *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gen_pool_owner *owners;

static bool valid_name(const char *name, size_t len)
{
	return len > 0 && !memchr(name, '/', len);
}

/* Name equality where NULL (the unnamed pool) equals only NULL. */
static bool same_name(const char *a, const char *b, size_t blen)
{
	if (!a || !b)
		return a == b;
	return strlen(a) == blen && memcmp(a, b, blen) == 0;
}

static struct gen_pool_owner *find_owner_locked(const char *name, size_t len)
{
	struct gen_pool_owner *o;

	for (o = owners; o; o = o->next)
		if (same_name(o->name, name, len))
			return o;
	return NULL;
}

static struct gen_pool *find_pool_locked(struct gen_pool_owner *o, const char *name, size_t len)
{
	struct gen_pool *p;

	for (p = o->pools; p; p = p->mgr_next)
		if (same_name(p->name, name, len))
			return p;
	return NULL;
}

struct gen_pool_owner *gen_pool_owner_create(const char *name)
{
	struct gen_pool_owner *o;
	int err = 0;

	if (!name || !valid_name(name, strlen(name))) {
		return GP_REFUSE_NULL(EINVAL, "owner name must be non-empty and contain no '/'");
	}
	o = gp_meta_heap_zalloc(sizeof(*o));
	if (o)
		o->name = gp_meta_strdup(name);
	if (!o || !o->name) {
		free(o);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&registry_lock);
	if (find_owner_locked(name, strlen(name))) {
		err = EEXIST;
	} else {
		o->next = owners;
		owners = o;
	}
	pthread_mutex_unlock(&registry_lock);
	if (err) {
		free(o->name);
		free(o);
		return GP_REFUSE_NULL(EEXIST, "owner \"%s\" already exists", name);
	}
	return o;
}

static void unlink_owner_locked(struct gen_pool_owner *o)
{
	struct gen_pool_owner **pp;

	for (pp = &owners; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			return;
		}
	}
}

int gen_pool_owner_destroy(struct gen_pool_owner *owner)
{
	struct gen_pool *p, *next;
	int err = 0;

	if (!owner)
		return 0;
	pthread_mutex_lock(&registry_lock);
	for (p = owner->pools; p && !err; p = p->mgr_next)
		err = gp_pool_busy(p, NULL);
	if (!err)
		unlink_owner_locked(owner);
	pthread_mutex_unlock(&registry_lock);
	if (err)
		return GP_REFUSE(EBUSY, "owner \"%s\" has a pool with allocations outstanding; "
					"nothing destroyed", owner->name);
	for (p = owner->pools; p; p = next) {
		next = p->mgr_next;
		gp_pool_free_all(p);
	}
	free(owner->name);
	free(owner);
	return 0;
}

/* Attach @pool to @o as @name; -EEXIST if the name is taken. */
static int attach(struct gen_pool_owner *o, struct gen_pool *pool, const char *name)
{
	int err = 0;

	pthread_mutex_lock(&registry_lock);
	if (find_pool_locked(o, name, name ? strlen(name) : 0)) {
		err = -EEXIST;
	} else {
		pool->mgr_owner = o;
		pool->mgr_next = o->pools;
		o->pools = pool;
	}
	pthread_mutex_unlock(&registry_lock);
	return err;
}

struct gen_pool *gen_pool_create_managed(struct gen_pool_owner *owner, int min_alloc_order,
					 int nid, const char *name)
{
	struct gen_pool *pool;

	if (!owner || (name && !valid_name(name, strlen(name))))
		return GP_REFUSE_NULL(EINVAL, "%s",
				      owner ? "pool name must be non-empty and contain no '/'"
					    : "owner is NULL");
	pool = gp_pool_create(min_alloc_order, nid, 0, __func__);
	if (!pool)
		return NULL;
	if (name && !(pool->name = gp_meta_strdup(name))) {
		gp_pool_free_all(pool);
		errno = ENOMEM;
		return NULL;
	}
	if (attach(owner, pool, name)) {
		gp_pool_free_all(pool);
		return GP_REFUSE_NULL(EEXIST, "owner \"%s\" already has a pool named \"%s\"",
				      owner->name, name ? name : "(unnamed)");
	}
	return pool;
}

void gp_managed_detach(struct gen_pool *pool)
{
	struct gen_pool **pp;

	if (!pool->mgr_owner)
		return;
	pthread_mutex_lock(&registry_lock);
	for (pp = &pool->mgr_owner->pools; *pp; pp = &(*pp)->mgr_next) {
		if (*pp == pool) {
			*pp = pool->mgr_next;
			break;
		}
	}
	pool->mgr_owner = NULL;
	pthread_mutex_unlock(&registry_lock);
}

struct gen_pool *gen_pool_get(struct gen_pool_owner *owner, const char *name)
{
	struct gen_pool *p;

	if (!owner)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	p = find_pool_locked(owner, name, name ? strlen(name) : 0);
	pthread_mutex_unlock(&registry_lock);
	return p;
}

struct gen_pool *gen_pool_get_path(const char *path)
{
	const char *slash, *pool_name = NULL;
	struct gen_pool_owner *o;
	struct gen_pool *p = NULL;
	size_t olen;

	if (!path || !*path || *path == '/')
		return GP_REFUSE_NULL(EINVAL, "path must be \"owner/pool\" or \"owner\"");
	slash = strchr(path, '/');
	olen = slash ? (size_t)(slash - path) : strlen(path);
	if (slash) {
		pool_name = slash + 1;
		if (!valid_name(pool_name, strlen(pool_name)))
			return GP_REFUSE_NULL(EINVAL, "malformed pool path \"%s\"", path);
	}
	pthread_mutex_lock(&registry_lock);
	o = find_owner_locked(path, olen);
	if (o)
		p = find_pool_locked(o, pool_name, pool_name ? strlen(pool_name) : 0);
	pthread_mutex_unlock(&registry_lock);
	if (!p)
		errno = ENOENT;
	return p;
}

const char *gen_pool_name(const struct gen_pool *pool)
{
	return pool ? pool->name : NULL;
}

/* fork.c: the registry is held across fork by the forking thread. */
void gp_managed_fork_lock(void)
{
	pthread_mutex_lock(&registry_lock);
}

void gp_managed_fork_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}
