package dev.laocoon.core.internal.pickle;

/**
 * Formats whose loaders read raw bytes from the file in the middle of a pickle (joblib reads
 * NumPy array data right after the BUILD of each array wrapper) tell the machine how much.
 */
public interface RawData {

    /**
     * What the loader reads after a BUILD: {@code bytes} of raw data (after an alignment padding
     * byte and its padding when {@code alignmentPadding}), or a whole embedded pickle when
     * {@code pickle}. {@code what} describes it for explanations.
     */
    record Plan(long bytes, boolean alignmentPadding, boolean pickle, String what) {
    }

    /** The plan after BUILD set {@code state} on {@code instance}, or null when the loader reads nothing. */
    Plan afterBuild(Value instance, Value state);

    /**
     * Raw bytes a loader reads between two pickles of a stream: a little-endian count of
     * {@code countWidth} bytes, then {@code count * unit + extra} bytes.
     */
    record Counted(int countWidth, long unit, long extra, String what) {
    }

    /** What the loader reads after pickle {@code index} returned {@code result}, or null for nothing. */
    default Counted afterPickle(int index, Value result) {
        return null;
    }
}
