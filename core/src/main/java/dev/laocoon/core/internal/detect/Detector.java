package dev.laocoon.core.internal.detect;

import java.io.IOException;

/**
 * Decides whether content may be one format. Contract: reads only the head (the first bytes, or a
 * fixed small header such as a tar block) or the tail (a zip's central directory) through
 * {@link Head}; never judges and never reports. The analyser behind it confirms the format.
 */
@FunctionalInterface
public interface Detector {
    boolean matches(Head head) throws IOException;
}
