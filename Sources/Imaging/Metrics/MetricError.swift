/// Two images (or frame sequences) a metric cannot compare; one line for the user.
public struct MetricError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    static func requireSameSize(_ a: RGBImage, _ b: RGBImage, _ metric: String) throws {
        guard a.width == b.width, a.height == b.height else {
            throw MetricError("\(metric): images differ in size (\(a.width)×\(a.height) vs \(b.width)×\(b.height))")
        }
    }
}
