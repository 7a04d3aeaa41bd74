package dev.laocoon.core.sign;

import java.util.List;

/**
 * The outcome of a verification. {@code verified} is true only when the signature, the trust chain
 * and every file were checked and matched; otherwise {@code failure} says why (the first problem)
 * and {@code problems} lists them all.
 *
 * @param method key, certificate or sigstore
 * @param identity who signed: the key hint, the certificate subject, or the Sigstore identity and issuer
 * @param format the bundle's shape: predicate type, and notes such as the legacy PAE of v0.2
 * @param files every signed file with its status: ok, mismatch, missing; and unsigned local files
 */
public record VerifyResult(boolean verified, String failure, List<String> problems, String method, String identity,
        String format, String subjectDigest, List<FileStatus> files) {
    public VerifyResult {
        problems = List.copyOf(problems);
        files = List.copyOf(files);
    }

    /**
     * One file (or shard) compared: status {@code ok}, {@code mismatch}, {@code missing},
     * {@code unsigned}, or {@code empty} (an empty file, which shards leave out).
     */
    public record FileStatus(String name, String status, String algorithm, String expected, String actual) {
    }

    static VerifyResult failed(String method, String why) {
        return new VerifyResult(false, why, List.of(why), method, null, null, null, List.of());
    }
}
