extension String {
    /// The text with every Unicode scalar `escape` maps replaced by what it
    /// maps it to, the rest kept: the one loop behind the report's HTML
    /// escaping and the safetensors header's JSON string literals, which
    /// differ only in their tables.
    public func escapingScalars(_ escape: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for scalar in unicodeScalars {
            if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
