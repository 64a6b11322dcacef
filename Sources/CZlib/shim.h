#ifndef VCOLOR_ZLIB_SHIM_H
#define VCOLOR_ZLIB_SHIM_H
// zlib for PNG images (deflate and CRC-32); HDF5's chunks reach it through HDF5Shim.
#include <zlib.h>
#endif
