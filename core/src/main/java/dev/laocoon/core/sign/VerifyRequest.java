package dev.laocoon.core.sign;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What to verify.
 *
 * @param model the model directory or single file
 * @param bundle the OMS bundle
 * @param trust the key, CA certificates or Sigstore trusted root to verify against
 * @param ignorePaths more paths to leave out of the comparison, absolute or relative to the model
 * @param ignoreUnsigned accept files in the model that the signature does not cover
 * @param threads hashing threads
 * @param time when certificates must be valid (null: now; Sigstore uses the log's integration time)
 * @param known digests the caller computed of files it wrote (null: none): see {@link KnownDigests}
 */
public record VerifyRequest(Path model, Path bundle, Trust trust, List<String> ignorePaths, boolean ignoreUnsigned,
        int threads, Instant time, KnownDigests known) {
    public VerifyRequest {
        ignorePaths = List.copyOf(ignorePaths);
    }

    public VerifyRequest(Path model, Path bundle, Trust trust, List<String> ignorePaths, boolean ignoreUnsigned,
            int threads, Instant time) {
        this(model, bundle, trust, ignorePaths, ignoreUnsigned, threads, time, null);
    }

    public static VerifyRequest of(Path model, Path bundle, Trust trust) {
        return new VerifyRequest(model, bundle, trust, List.of(), false, Runtime.getRuntime().availableProcessors(),
                null);
    }

    public VerifyRequest withIgnorePaths(List<String> paths) {
        return new VerifyRequest(model, bundle, trust, paths, ignoreUnsigned, threads, time, known);
    }

    public VerifyRequest withIgnoreUnsigned(boolean ignore) {
        return new VerifyRequest(model, bundle, trust, ignorePaths, ignore, threads, time, known);
    }

    public VerifyRequest withThreads(int n) {
        return new VerifyRequest(model, bundle, trust, ignorePaths, ignoreUnsigned, n, time, known);
    }

    public VerifyRequest at(Instant when) {
        return new VerifyRequest(model, bundle, trust, ignorePaths, ignoreUnsigned, threads, when, known);
    }

    /** Digests computed while the files were written, used instead of reading them again. */
    public VerifyRequest withKnownDigests(KnownDigests digests) {
        return new VerifyRequest(model, bundle, trust, ignorePaths, ignoreUnsigned, threads, time, digests);
    }
}
