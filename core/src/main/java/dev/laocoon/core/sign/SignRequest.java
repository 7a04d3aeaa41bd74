package dev.laocoon.core.sign;

import java.nio.file.Path;
import java.util.List;

/**
 * What to sign and how.
 *
 * @param model the model directory or single file
 * @param bundle where to write the bundle (excluded from the signed files when inside the model)
 * @param privateKey EC private key PEM (PKCS#8 or SEC1)
 * @param signingCertificate the certificate of that key (certificate method), or null (key method)
 * @param certificateChain the CA certificates put after it in the bundle (PEM files, may be empty)
 * @param ignorePaths paths excluded from signing, absolute or relative to the model root
 * @param hashAlgorithm {@code sha256} or {@code blake2b}
 * @param shardSize 0 to hash whole files ({@code files}), else shard files by this many bytes
 * @param allowSymlinks follow symbolic links (refused otherwise)
 * @param referenceLayout name a single-file model {@code "."} and order resources as the reference
 *     Python tool does, so that its verifier accepts single-file bundles
 * @param threads hashing threads
 */
public record SignRequest(Path model, Path bundle, Path privateKey, Path signingCertificate,
        List<Path> certificateChain, List<String> ignorePaths, String hashAlgorithm, long shardSize,
        boolean allowSymlinks, boolean referenceLayout, int threads) {
    public SignRequest {
        certificateChain = List.copyOf(certificateChain);
        ignorePaths = List.copyOf(ignorePaths);
    }

    /** Key signing of {@code model} with SHA-256 over whole files, one thread per core. */
    public static SignRequest key(Path model, Path bundle, Path privateKey) {
        return new SignRequest(model, bundle, privateKey, null, List.of(), List.of(), "sha256", 0, false, false,
                Runtime.getRuntime().availableProcessors());
    }

    public SignRequest withCertificate(Path certificate, List<Path> chain) {
        return new SignRequest(model, bundle, privateKey, certificate, chain, ignorePaths, hashAlgorithm, shardSize,
                allowSymlinks, referenceLayout, threads);
    }

    public SignRequest withIgnorePaths(List<String> paths) {
        return new SignRequest(model, bundle, privateKey, signingCertificate, certificateChain, paths, hashAlgorithm,
                shardSize, allowSymlinks, referenceLayout, threads);
    }

    public SignRequest withHash(String algorithm, long shard) {
        return new SignRequest(model, bundle, privateKey, signingCertificate, certificateChain, ignorePaths, algorithm,
                shard, allowSymlinks, referenceLayout, threads);
    }

    public SignRequest withSymlinks(boolean allow) {
        return new SignRequest(model, bundle, privateKey, signingCertificate, certificateChain, ignorePaths,
                hashAlgorithm, shardSize, allow, referenceLayout, threads);
    }

    public SignRequest withReferenceLayout(boolean reference) {
        return new SignRequest(model, bundle, privateKey, signingCertificate, certificateChain, ignorePaths,
                hashAlgorithm, shardSize, allowSymlinks, reference, threads);
    }

    public SignRequest withThreads(int n) {
        return new SignRequest(model, bundle, privateKey, signingCertificate, certificateChain, ignorePaths,
                hashAlgorithm, shardSize, allowSymlinks, referenceLayout, n);
    }
}
