package dev.laocoon.core.pickle;

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

    public PickleError firstError() {
        for (PickleResult p : pickles) {
            if (p.error() != null) {
                return p.error();
            }
        }
        return null;
    }
}
