/* vec.h - the one growable array with a hard maximum (curl's dynbuf idea
 * for arrays): doubling growth, an element limit, size overflow refused.
 * cd_vec_grow() is the primitive for arrays whose (pointer, count,
 * capacity) fields are part of a public struct; struct cd_vec wraps it for
 * arrays a module keeps to itself. */
#ifndef CONNDOCTOR_UTIL_VEC_H
#define CONNDOCTOR_UTIL_VEC_H

#include <stddef.h>

/* Returns arr (elements of size bytes, *cap allocated) with room for at
 * least need elements, moved when it had to grow (*cap updated; capacity
 * doubles from first, clamped at max). NULL with errno E2BIG when need is
 * over max, ENOMEM when memory runs out; arr is then untouched and still
 * owned by the caller. For one more element, need is the count + 1. */
void *cd_vec_grow(void *arr, size_t size, size_t need, size_t *cap, size_t max,
		  size_t first);

/* Gives back the room of arr beyond keep elements (keep > 0, keep <
 * *cap): returns the moved array with *cap = keep, or arr unchanged when
 * the allocator cannot (the room stays; nothing is lost). */
void *cd_vec_shrink(void *arr, size_t size, size_t keep, size_t *cap);

/* An array the vec owns. */
struct cd_vec {
	void *data;  /* the elements (owned; NULL before the first push) */
	size_t size; /* bytes per element */
	size_t n;    /* elements in use */
	size_t cap;  /* elements allocated */
	size_t max;  /* never more than this many elements */
};

/* An empty vec of elements of size bytes, at most max of them. */
void cd_vec_init(struct cd_vec *v, size_t size, size_t max);

/* A new zeroed element at the end; NULL with errno E2BIG at the maximum
 * or ENOMEM (the vec is unchanged). Valid until the next push or free. */
void *cd_vec_push(struct cd_vec *v);

/* Appends k elements copied from src. Returns 0, or -1 with errno E2BIG
 * when they would pass the maximum or ENOMEM (the vec is unchanged). */
int cd_vec_append(struct cd_vec *v, const void *src, size_t k);

/* Element i (i < v->n). */
static inline void *cd_vec_at(const struct cd_vec *v, size_t i)
{
	return (char *)v->data + i * v->size;
}

/* Frees the elements; the vec is empty again (same size and max). */
void cd_vec_free(struct cd_vec *v);

#endif /* CONNDOCTOR_UTIL_VEC_H */
