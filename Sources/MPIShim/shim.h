#ifndef VCOLOR_MPI_SHIM_H
#define VCOLOR_MPI_SHIM_H
#include <mpi.h>

// OpenMPI's handles are macros over addresses of global objects, which Swift
// cannot import; these getters hand them over as ordinary values.
static inline MPI_Comm vc_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype vc_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Op vc_mpi_sum(void) { return MPI_SUM; }
#endif
