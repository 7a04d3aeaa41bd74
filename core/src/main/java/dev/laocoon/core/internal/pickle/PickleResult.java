package dev.laocoon.core.internal.pickle;

import java.util.List;

/**
 * One pickle of a stream as a loader would run it: its events in order, the object it returns
 * (null if it never reached STOP) and the error that stopped it, if any.
 */
public record PickleResult(int index, long start, long end, int protocol, long opcodes,
                           List<TraceEvent> events, Value result, PickleError error) {

    public boolean complete() {
        return error == null && result != null;
    }
}
