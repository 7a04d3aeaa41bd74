package dev.laocoon.cli;

import dev.laocoon.core.kb.KnowledgeBase;
import dev.laocoon.core.pickle.PickleLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options shared by the commands that analyse files. */
final class CommonOptions {
    @Option(names = "--policy", paramLabel = "FILE",
            description = "Policy file that adds or overrides knowledge-base entries (see README, 'Policy files').")
    Path policy;

    @Option(names = "--max-seconds", paramLabel = "N", defaultValue = "60",
            description = "Time limit per file in seconds; hitting it makes the file suspicious (default: ${DEFAULT-VALUE}).")
    long maxSeconds;

    KnowledgeBase knowledgeBase() throws IOException {
        KnowledgeBase kb = KnowledgeBase.builtin();
        if (policy != null) {
            if (!Files.isRegularFile(policy)) {
                throw new IOException("policy file not found: " + policy);
            }
            kb = kb.withPolicy(policy);
        }
        return kb;
    }

    PickleLimits limits() {
        return PickleLimits.DEFAULT.withMaxTime(Duration.ofSeconds(Math.max(1, maxSeconds)));
    }
}
