package dev.laocoon.core.internal.pickle;

import java.util.List;

/**
 * Everything a loader reading a stream pickle after pickle would do. {@code trailingStart} is
 * the offset of bytes after the last complete pickle that do not start another pickle
 * (-1 when the stream ends cleanly).
 */
public record PickleTrace(List<PickleResult> pickles, long size, long trailingStart) {

    public boolean clean() {
        return trailingStart < 0 && pickles.stream().allMatch(PickleResult::complete);
    }

    /**
     * Whether a loader would treat the data as a pickle: it starts with PROTO, a whole pickle
     * parses, something is imported or called before it fails, or the analysis stopped at one of
     * its own limits before the loader would have failed (a stream that ran into a limit is never
     * "not a pickle": what follows could be anything). {@code b0}/{@code b1} are the
     * first two bytes of the data (-1 when absent).
     */
    public boolean looksLikePickle(int b0, int b1) {
        if (pickles.isEmpty()) {
            return false;
        }
        PickleResult first = pickles.get(0);
        if (first.complete() || first.error() != null && first.error().kind() == PickleError.Kind.LIMIT) {
            return true;
        }
        for (TraceEvent e : first.events()) {
            if (!(e instanceof TraceEvent.FrameIssue)) {
                return true;
            }
        }
        return b0 == 0x80 && b1 >= 0 && b1 <= 5;
    }

    public PickleError firstError() {
        for (PickleResult p : pickles) {
            if (p.error() != null) {
                return p.error();
            }
        }
        return null;
    }
}
