#ifndef VCOLOR_HDF5_SHIM_H
#define VCOLOR_HDF5_SHIM_H
#include <hdf5.h>
#include <string.h>

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

// File-format (little-endian) types, so files read the same on every machine.
static inline hid_t vc_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t vc_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t vc_h5t_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t vc_h5t_std_i64le(void) { return H5T_STD_I64LE; }

static inline hid_t vc_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t vc_h5e_default(void) { return H5E_DEFAULT; }
static inline unsigned vc_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned vc_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned vc_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hsize_t vc_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t vc_h5t_variable(void) { return H5T_VARIABLE; }

// Silences HDF5's automatic printing of its error stack (for the calling thread;
// the library is built thread-safe, which makes the error stack per thread).
static inline void vc_h5e_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// The description of the innermost error on the calling thread's stack, copied
// into buf (empty if there is none). Gives thrown Swift errors HDF5's own reason.
static herr_t vc_h5e_walk_cb(unsigned n, const H5E_error2_t *err, void *data) {
    char **slots = (char **)data;
    if (n == 0 && err->desc != NULL) {
        strncpy(slots[0], err->desc, 511);
        slots[0][511] = 0;
    }
    if (err->desc != NULL) {
        strncpy(slots[1], err->desc, 511);
        slots[1][511] = 0;
    }
    return 0;
}
/// innermost: the error where it happened; outermost: the API-level failure.
static inline void vc_h5e_messages(char *innermost, char *outermost) {
    innermost[0] = 0; outermost[0] = 0;
    char *slots[2] = { innermost, outermost };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, vc_h5e_walk_cb, slots);
}
static inline void vc_h5e_clear(void) { H5Eclear2(H5E_DEFAULT); }
#endif
