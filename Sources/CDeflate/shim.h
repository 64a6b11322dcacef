#ifndef VCOLOR_LIBDEFLATE_SHIM_H
#define VCOLOR_LIBDEFLATE_SHIM_H
// libdeflate: whole-buffer zlib streams for prep's shard chunks (HDF5's deflate
// filter reads them back through zlib).
#include <libdeflate.h>
#endif
