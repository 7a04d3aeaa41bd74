package dev.laocoon.core.internal.analysis;

import dev.laocoon.core.finding.Location;
import dev.laocoon.core.finding.Rule;
import dev.laocoon.core.internal.detect.Head;
import java.io.IOException;
import java.util.Set;

/**
 * Analyses content its detector matched, as one format: reads it with the format's reader, maps
 * the reader's problems to rules (in one place per format), reports findings to the context and
 * hands nested content (members, decompressed payloads) back to the pipeline through it.
 */
public interface Analyzer {
    /** True when the content turned out to be of this format (some detectors only say "maybe"). */
    boolean analyze(Head head, Location where, AnalysisContext ctx) throws IOException;

    /** The rules this analyser can report (for the rule documentation and coverage checks). */
    Set<Rule> rules();
}
