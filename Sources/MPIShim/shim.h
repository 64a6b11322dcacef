#ifndef VCOLOR_MPI_SHIM_H
#define VCOLOR_MPI_SHIM_H
#include <mpi.h>

// OpenMPI's predefined handles are macros over addresses of global objects
// (`&ompi_mpi_comm_world`, `(MPI_Status *) 0`, ...), which Swift cannot
// import; these getters hand them over as ordinary values.

// Communicators, info, error handlers.
static inline MPI_Comm vc_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm vc_mpi_comm_self(void) { return MPI_COMM_SELF; }
static inline MPI_Comm vc_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Info vc_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler vc_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Errhandler vc_mpi_errors_are_fatal(void) { return MPI_ERRORS_ARE_FATAL; }
static inline int vc_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }

// Datatypes.
static inline MPI_Datatype vc_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype vc_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype vc_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype vc_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype vc_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype vc_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Datatype vc_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype vc_mpi_char(void) { return MPI_CHAR; }

// Reduction operators.
static inline MPI_Op vc_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op vc_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op vc_mpi_min(void) { return MPI_MIN; }

// Sentinels.
static inline void *vc_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request vc_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *vc_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int vc_mpi_undefined(void) { return MPI_UNDEFINED; }
static inline int vc_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int vc_mpi_success(void) { return MPI_SUCCESS; }

// Thread levels (enum constants in OpenMPI, but macros in other MPIs).
static inline int vc_mpi_thread_single(void) { return MPI_THREAD_SINGLE; }
static inline int vc_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int vc_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int vc_mpi_thread_multiple(void) { return MPI_THREAD_MULTIPLE; }

static inline int vc_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int vc_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
#endif
