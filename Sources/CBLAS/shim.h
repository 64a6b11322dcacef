#ifndef VCOLOR_CBLAS_SHIM_H
#define VCOLOR_CBLAS_SHIM_H
// OpenBLAS's cblas.h (found through the `openblas` pkg-config include dir) also
// declares openblas_set_num_threads / openblas_get_num_threads.
#include <cblas.h>
#endif
