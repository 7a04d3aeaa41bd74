package dev.laocoon.core.internal.pickle;

import java.time.Duration;

/** Caps that keep the analysis bounded whatever the input. Hitting one is a finding, never a crash. */
public record PickleLimits(long maxOpcodes, int maxMemo, int maxStack, int maxMarks, int maxEvents,
                           int maxLine, int keepString, long keepBudget, int maxPickles,
                           int bufferSize, Duration maxTime, int containerItems) {

    public static final PickleLimits DEFAULT = new PickleLimits(
            200_000_000L, 8_000_000, 2_000_000, 100_000, 200_000,
            1 << 20, 1 << 20, 64L << 20, 100_000,
            PickleInput.DEFAULT_BUFFER_SIZE, Duration.ofSeconds(60), Value.PREVIEW_ITEMS);

    public PickleLimits withMaxTime(Duration d) {
        return new PickleLimits(maxOpcodes, maxMemo, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, bufferSize, d, containerItems);
    }

    public PickleLimits withMaxOpcodes(long n) {
        return new PickleLimits(n, maxMemo, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, bufferSize, maxTime, containerItems);
    }

    public PickleLimits withMaxMemo(int n) {
        return new PickleLimits(maxOpcodes, n, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, bufferSize, maxTime, containerItems);
    }

    public PickleLimits withMaxStack(int n) {
        return new PickleLimits(maxOpcodes, maxMemo, n, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, bufferSize, maxTime, containerItems);
    }

    public PickleLimits withBufferSize(int n) {
        return new PickleLimits(maxOpcodes, maxMemo, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, n, maxTime, containerItems);
    }

    /**
     * Containers keep up to {@code n} items (dict: entries) instead of a preview, so that a
     * caller can read the whole structure (convert). Memory then grows with the items kept.
     */
    public PickleLimits withContainerItems(int n) {
        return new PickleLimits(maxOpcodes, maxMemo, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, maxPickles, bufferSize, maxTime, n);
    }

    public PickleLimits withMaxPickles(int n) {
        return new PickleLimits(maxOpcodes, maxMemo, maxStack, maxMarks, maxEvents, maxLine, keepString,
                keepBudget, n, bufferSize, maxTime, containerItems);
    }
}
