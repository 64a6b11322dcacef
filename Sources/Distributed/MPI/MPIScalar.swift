import MPIShim

/// A Swift scalar type with a matching MPI datatype, so the collectives can
/// be generic over Float, Double, Int64, UInt64 and Int32.
public protocol MPIScalar {
    static var mpiDatatype: MPI_Datatype { get }
}

extension Float: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_float() } }
extension Double: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_double() } }
extension Int64: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_int64() } }
extension UInt64: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_uint64() } }
extension Int32: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_int32() } }
extension UInt16: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_uint16() } }
extension UInt8: MPIScalar { public static var mpiDatatype: MPI_Datatype { vc_mpi_byte() } }

/// The reductions the trainer needs.
public enum ReduceOperation: Sendable {
    case sum, max, min

    var mpiOp: MPI_Op {
        switch self {
        case .sum: return vc_mpi_sum()
        case .max: return vc_mpi_max()
        case .min: return vc_mpi_min()
        }
    }
}
