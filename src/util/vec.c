/* vec.c - the growable array with a hard maximum (see vec.h). */
#include "util/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *cd_vec_grow(void *arr, size_t size, size_t need, size_t *cap, size_t max,
		  size_t first)
{
	size_t ncap;
	void *nv;

	if (need <= *cap && arr)
		return arr;
	if (need > max || size == 0) {
		errno = E2BIG;
		return NULL;
	}
	ncap = *cap ? *cap : (first ? first : 1);
	while (ncap < need && ncap <= SIZE_MAX / 2)
		ncap *= 2;
	if (ncap < need)
		ncap = need;
	if (ncap > max)
		ncap = max;
	if (ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	nv = realloc(arr, ncap * size);
	if (!nv) {
		errno = ENOMEM;
		return NULL;
	}
	*cap = ncap;
	return nv;
}

void *cd_vec_shrink(void *arr, size_t size, size_t keep, size_t *cap)
{
	void *nv;

	if (!arr || keep == 0 || keep >= *cap || size == 0)
		return arr;
	nv = realloc(arr, keep * size); /* smaller than before: no overflow */
	if (!nv)
		return arr;
	*cap = keep;
	return nv;
}

void cd_vec_init(struct cd_vec *v, size_t size, size_t max)
{
	memset(v, 0, sizeof(*v));
	v->size = size;
	v->max = max;
}

void *cd_vec_push(struct cd_vec *v)
{
	void *nv = cd_vec_grow(v->data, v->size, v->n + 1, &v->cap, v->max, 16);
	void *x;

	if (!nv)
		return NULL;
	v->data = nv;
	x = cd_vec_at(v, v->n++);
	memset(x, 0, v->size);
	return x;
}

int cd_vec_append(struct cd_vec *v, const void *src, size_t k)
{
	void *nv;

	if (k > SIZE_MAX - v->n) {
		errno = E2BIG;
		return -1;
	}
	nv = cd_vec_grow(v->data, v->size, v->n + k, &v->cap, v->max, 16);
	if (!nv)
		return -1;
	v->data = nv;
	if (k)
		memcpy(cd_vec_at(v, v->n), src, k * v->size);
	v->n += k;
	return 0;
}

void cd_vec_free(struct cd_vec *v)
{
	free(v->data);
	v->data = NULL;
	v->n = 0;
	v->cap = 0;
}
