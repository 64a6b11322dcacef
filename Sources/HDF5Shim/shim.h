#ifndef VCOLOR_HDF5_SHIM_H
#define VCOLOR_HDF5_SHIM_H
#include <hdf5.h>

// H5T_NATIVE_* expand to library calls on global ids and H5P_DEFAULT imports as
// Int32 in HDF5 1.10; these functions give Swift plain hid_t values.
static inline hid_t vc_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t vc_h5s_all(void) { return H5S_ALL; }
static inline hid_t vc_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t vc_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t vc_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t vc_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t vc_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t vc_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t vc_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
#endif
