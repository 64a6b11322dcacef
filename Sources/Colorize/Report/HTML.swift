import Storage

/// Text into HTML: every run name, path, sequence id and file name on the
/// report page goes through `escape`, in element content and in attributes.
enum HTML {
    static func escape(_ text: String) -> String {
        text.escapingScalars {
            switch $0 {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }
}
