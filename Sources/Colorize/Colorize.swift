import Net
import DataPrep

/// From a trained checkpoint to a coloured film. (Filled by the Colorize issue.)
public enum Colorize {}
